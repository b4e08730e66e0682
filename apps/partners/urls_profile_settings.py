from django.urls import path

from apps.partners import views_profile as views

app_name = "profile_settings"
urlpatterns = [
    path("", views.profile_settings, name="edit"),
]
