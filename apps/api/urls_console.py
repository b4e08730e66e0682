from django.urls import path

from apps.api import views_console

app_name = "api_console"
urlpatterns = [
    path("", views_console.api_keys, name="keys"),
    path("<int:key_id>/revoke/", views_console.api_key_revoke_view, name="revoke"),
    path("<int:key_id>/log/", views_console.api_key_log, name="log"),
]
