"""apps/core/questions.py: the one function that makes the keys of designed form questions."""

import re

import pytest

from apps.core.questions import question_key

KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")  # what onboarding's form designer accepts


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Sales reps", "sales_reps"),
        ("  Number of sales-reps?  ", "number_of_sales_reps"),
        ("Company size (employees)", "company_size_employees"),
        ("Société Générale", "societe_generale"),
        ("2024 revenue", "q_2024_revenue"),
        ("???", "question"),
        ("日本語", "question"),
        ("A" * 80, "a" * 40),
        ("word " * 20, ("word_" * 8).rstrip("_")),
    ],
)
def test_a_key_is_made_from_the_label(label, key):
    assert question_key(label) == key
    assert KEY.match(question_key(label))


def test_a_taken_key_gets_the_first_free_suffix():
    assert question_key("Focus", taken={"focus"}) == "focus_2"
    assert question_key("Focus", taken=["focus", "focus_2", "focus_4"]) == "focus_3"
    assert question_key("???", taken={"question"}) == "question_2"
    assert question_key("Focus", taken={"sales-reps"}) == "focus"


def test_suffixed_keys_still_fit_the_stored_length():
    taken = {"x" * 40, *(f"{'x' * 40}_{n}" for n in range(2, 120))}
    key = question_key("x" * 60, taken=taken)
    assert key == f"{'x' * 40}_120" and len(key) <= 50 and KEY.match(key)
