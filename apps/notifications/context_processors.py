from apps.notifications.selectors import notification_unread_count


def notifications(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None or getattr(request, "membership", None) is None:
        return {"unread_notifications": 0}
    return {
        "unread_notifications": notification_unread_count(tenant=tenant, recipient=request.user)
    }
