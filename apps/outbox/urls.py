from django.urls import path

from apps.outbox import views

app_name = "outbox"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:message_id>/resend/", views.resend, name="resend"),
]
