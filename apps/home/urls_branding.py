from django.urls import path

from apps.home import views_settings

app_name = "branding"
urlpatterns = [
    path("logo/", views_settings.program_logo, name="logo"),
]
