from django.urls import path

from apps.applications import views_console as views

app_name = "applications_console"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("settings/", views.settings_view, name="settings"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/resend/", views.invitation_resend_view, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/add/", views.add_to_account, name="add"),
    path("<int:pk>/reject/", views.reject, name="reject"),
]
