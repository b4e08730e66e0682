"""The errors partners services raise; views show their message to the user."""


class PartnerError(Exception):
    """A partner-account rule was broken; the message is shown to the user."""
