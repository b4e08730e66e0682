from apps.notifications.models import Notification


def samples(program):
    notification = Notification.objects.filter(tenant=program.tenant).first()
    return {"notifications:read": {"pk": notification.pk}} if notification else {}
