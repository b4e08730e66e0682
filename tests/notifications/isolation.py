from apps.notifications.models import Notification


def samples(program):
    notification = Notification.objects.filter(tenant=program.tenant).first()
    routes = {"email_wording:edit": {"key": "applications.approved"}}
    if notification:
        routes["notifications:read"] = {"pk": notification.pk}
    return routes
