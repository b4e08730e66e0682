"""The errors content services raise; views show their message to the user."""

from __future__ import annotations


class ContentError(Exception):
    """A content rule was broken; the message is shown to the user."""


class InvalidTransition(ContentError):
    """The asset or article is not in a status that allows this change."""
