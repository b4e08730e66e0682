from django import template

from apps.applications.selectors import applications_pending_count

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
        cached = applications_pending_count(tenant=tenant)
        request._pending_applications = cached
    return cached
