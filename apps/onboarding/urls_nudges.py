"""Nudges' routes (views_nudges.py), included at the site root from config/urls.py: the
pipeline's reminder settings in the console and the public opt-out link of the emails."""

from django.urls import path

from apps.onboarding import views_nudges

app_name = "nudges"
urlpatterns = [
    path(
        "console/pipelines/<int:pipeline_id>/reminders/",
        views_nudges.pipeline_reminders,
        name="settings",
    ),
    path("email/reminders/<str:token>/", views_nudges.reminders_opt_out, name="opt_out"),
]
