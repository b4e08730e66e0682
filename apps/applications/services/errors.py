"""The errors applications services raise; views show their message to the user."""

from __future__ import annotations


class ApplicationError(Exception):
    """A rule was broken; the message is shown to the user."""


class InvalidTransition(ApplicationError):
    """The application (or invitation) is not in a status that allows this; says why."""
