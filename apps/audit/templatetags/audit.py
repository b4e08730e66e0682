from django import template

register = template.Library()


@register.filter
def verb_label(verb: str) -> str:
    """Turn "application.approved" into "Application approved" (verbs without own wording)."""
    words = str(verb).replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]
