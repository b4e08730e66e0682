"""apps/applications/forms_settings.py: the designer of the public form's extra questions."""

from apps.applications.forms_settings import question_formset


def _specs(rows):
    data = {"questions-TOTAL_FORMS": str(len(rows)), "questions-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"questions-{i}-{name}"] = value
    formset = question_formset(data)
    assert formset.is_valid(), formset.errors
    return formset.specs()


def test_new_questions_get_keys_from_the_one_key_function():
    specs = _specs(
        [
            {"label": "Sales reps", "kind": "number"},
            {"label": "Focus", "kind": "text"},
            {"label": "Focus", "kind": "text"},
            {"label": "", "kind": "text"},  # an empty label removes the row
        ]
    )
    assert [s["key"] for s in specs] == ["sales_reps", "focus", "focus_2"]


def test_stored_keys_are_kept_even_in_the_older_hyphen_shape():
    specs = _specs(
        [
            {"key": "sales-reps", "label": "Number of sales reps", "kind": "number"},
            {"label": "Sales reps", "kind": "number"},
        ]
    )
    assert [s["key"] for s in specs] == ["sales-reps", "sales_reps"]


def test_a_new_question_never_takes_a_key_a_later_row_holds():
    specs = _specs(
        [
            {"label": "Focus", "kind": "text"},
            {"key": "focus", "label": "Main market", "kind": "text"},
            {"key": "focus", "label": "Copied row", "kind": "text"},
        ]
    )
    assert [s["key"] for s in specs] == ["focus_2", "focus", "focus_3"]
