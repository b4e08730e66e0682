from django.urls import path

from apps.milestones import views_tracks as views
from apps.milestones import views_tracks_milestones as milestone_views

app_name = "milestones_settings"
urlpatterns = [
    path("", views.tracks_view, name="tracks"),
    path("types/<int:type_id>/start/", views.track_start_view, name="start"),
    path("<int:track_id>/", views.track_view, name="track"),
    path("<int:track_id>/settings/", views.track_settings_view, name="settings"),
    path("<int:track_id>/activation/", views.activation_view, name="activation"),
    path("<int:track_id>/stop/", views.track_stop_view, name="stop"),
    path(
        "<int:track_id>/milestones/add/", milestone_views.milestone_add_view, name="milestone_add"
    ),
    path(
        "<int:track_id>/milestones/<int:milestone_id>/",
        milestone_views.milestone_edit_view,
        name="milestone_edit",
    ),
    path(
        "<int:track_id>/milestones/<int:milestone_id>/completion/",
        milestone_views.completion_view,
        name="completion",
    ),
    path(
        "<int:track_id>/milestones/<int:milestone_id>/remove/",
        milestone_views.milestone_remove_view,
        name="milestone_remove",
    ),
    path(
        "<int:track_id>/milestones/<int:milestone_id>/rules/",
        milestone_views.rule_add_view,
        name="rule_add",
    ),
    path("<int:track_id>/rules/<int:rule_id>/", milestone_views.rule_edit_view, name="rule_edit"),
    path(
        "<int:track_id>/rules/<int:rule_id>/retire/",
        milestone_views.rule_retire_view,
        name="rule_retire",
    ),
]
