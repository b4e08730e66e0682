"""Keys of the questions in forms that staff design (the application form's extra questions,
onboarding's Provide information forms). One function makes every new key, so both designers
agree on their shape: lower-case ASCII letters, digits and underscores, starting with a letter.

A key is made once, when a question is added, and is kept when its label changes, so answers
stay comparable. Keys stored before this function existed (some with hyphens) keep working:
nothing here rewrites a key that a question already has.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

QUESTION_KEY_MAX = 40  # leaves room for a "_<n>" suffix within the 50 characters stored
FALLBACK_KEY = "question"


def question_key(label: str, taken: Collection[str] = ()) -> str:
    """A new key for a question labelled `label`, not in `taken`.

    "Number of sales reps" -> "number_of_sales_reps"; "Société" -> "societe";
    "2024 revenue" -> "q_2024_revenue"; a label with no letters or digits -> "question".
    A key already taken gets the first free suffix: "focus_2", "focus_3", …
    """
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")
    if base and not base[0].isalpha():
        base = f"q_{base}"
    base = base[:QUESTION_KEY_MAX].rstrip("_") or FALLBACK_KEY
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key
