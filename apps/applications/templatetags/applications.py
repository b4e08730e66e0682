from django import template

from apps.applications.selectors import applications_pending_count
from apps.applications.verbs import APPLICANT_VERBS

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_applications(context) -> int:
    """Pending applications of the request's tenant (console nav badge): one query a request."""
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return 0
    cached = getattr(request, "_pending_applications", None)
    if cached is None:
        from apps.core.nav_badges import nav_badges

        cached = nav_badges(request).get("applications")  # one cache GET for every badge
    if cached is None:
        cached = applications_pending_count(tenant=tenant)
        request._pending_applications = cached
    return cached


@register.filter
def by_applicant(verb: str) -> bool:
    """Whether an audit verb records a step the applicant took (received, updated, confirmed)."""
    return verb in APPLICANT_VERBS
