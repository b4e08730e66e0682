from django import template

register = template.Library()


@register.filter
def verb_label(verb: str) -> str:
    """"application.approved" -> "Application approved", for verbs without their own wording."""
    words = str(verb).replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]
