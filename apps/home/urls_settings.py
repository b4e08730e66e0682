from django.urls import path

from apps.home import views_settings

app_name = "program_settings"
urlpatterns = [
    path("", views_settings.general, name="general"),
    path("logo/", views_settings.logo, name="logo"),
    path("logo/remove/", views_settings.logo_remove, name="logo_remove"),
    path("hosts/", views_settings.host_add, name="host_add"),
    path("hosts/<int:host_id>/primary/", views_settings.host_primary, name="host_primary"),
    path("hosts/<int:host_id>/remove/", views_settings.host_remove, name="host_remove"),
]
