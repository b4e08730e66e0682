"""/console/partners/<partner_id>/users/…: staff manage a partner account's users."""

from django.urls import path

from apps.applications import views_partner_users as views

app_name = "partner_users"
urlpatterns = [
    path("invite/", views.invite, name="invite"),
    path("<int:member_id>/resend/", views.resend, name="resend"),
    path("<int:member_id>/role/", views.role, name="role"),
    path("<int:member_id>/deactivate/", views.deactivate, name="deactivate"),
    path("<int:member_id>/reactivate/", views.reactivate, name="reactivate"),
]
