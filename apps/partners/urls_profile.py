from django.urls import path

from apps.partners import views_profile as views

app_name = "partner_profile"
urlpatterns = [
    path("", views.profile, name="portal"),
    path("logo/", views.profile_logo, name="logo"),
]
