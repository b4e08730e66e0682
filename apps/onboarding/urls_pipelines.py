from django.urls import path

from apps.onboarding import views_actions, views_pipelines, views_stages

app_name = "pipelines"
urlpatterns = [
    path("", views_pipelines.pipeline_list, name="list"),
    path("new/", views_pipelines.pipeline_new, name="create"),
    path("<int:pipeline_id>/", views_pipelines.pipeline_detail, name="detail"),
    path("<int:pipeline_id>/edit/", views_pipelines.pipeline_edit, name="edit"),
    path("<int:pipeline_id>/types/", views_pipelines.pipeline_types, name="types"),
    path("<int:pipeline_id>/enroll/", views_pipelines.pipeline_enroll, name="enroll"),
    path("<int:pipeline_id>/archive/", views_pipelines.pipeline_archive_view, name="archive"),
    path("<int:pipeline_id>/restore/", views_pipelines.pipeline_restore_view, name="restore"),
    path("<int:pipeline_id>/stages/new/", views_stages.stage_new, name="stage_create"),
    path(
        "<int:pipeline_id>/stages/<int:stage_id>/edit/",
        views_stages.stage_edit,
        name="stage_edit",
    ),
    path(
        "<int:pipeline_id>/stages/<int:stage_id>/archive/",
        views_stages.stage_remove,
        name="stage_archive",
    ),
    path(
        "<int:pipeline_id>/stages/<int:stage_id>/move/",
        views_stages.stage_reorder,
        name="stage_move",
    ),
    path(
        "<int:pipeline_id>/stages/<int:stage_id>/actions/new/",
        views_actions.action_new,
        name="action_create",
    ),
    path(
        "<int:pipeline_id>/actions/<int:action_id>/",
        views_actions.action_edit,
        name="action_edit",
    ),
    path(
        "<int:pipeline_id>/actions/<int:action_id>/archive/",
        views_actions.action_remove,
        name="action_archive",
    ),
    path(
        "<int:pipeline_id>/actions/<int:action_id>/move/",
        views_actions.action_reorder,
        name="action_move",
    ),
]
