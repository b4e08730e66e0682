from django.urls import path

from apps.milestones import views

app_name = "milestones_settings"
urlpatterns = [
    path("", views.tracks_view, name="tracks"),
]
