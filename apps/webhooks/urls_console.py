from django.urls import path

from apps.webhooks import views

app_name = "webhooks_console"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:endpoint_id>/", views.detail, name="detail"),
    path("<int:endpoint_id>/disable/", views.disable, name="disable"),
    path("<int:endpoint_id>/enable/", views.enable, name="enable"),
    path("<int:endpoint_id>/roll-secret/", views.roll_secret, name="roll_secret"),
    path("<int:endpoint_id>/delete/", views.delete, name="delete"),
    path("<int:endpoint_id>/test/", views.send_test, name="test"),
    path(
        "<int:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        views.replay,
        name="replay",
    ),
]
