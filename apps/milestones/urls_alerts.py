from django.urls import path

from apps.milestones import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_inbox_view, name="inbox"),
    path("<int:alert_id>/acknowledge/", views.alert_acknowledge_view, name="acknowledge"),
    path("<int:alert_id>/snooze/", views.alert_snooze_view, name="snooze"),
]
