from django.urls import path

from apps.onboarding import views_pipelines as views

app_name = "pipelines"
urlpatterns = [
    path("", views.pipeline_list, name="list"),
    path("new/", views.pipeline_new, name="create"),
    path("<int:pipeline_id>/", views.pipeline_detail, name="detail"),
    path("<int:pipeline_id>/edit/", views.pipeline_edit, name="edit"),
    path("<int:pipeline_id>/types/", views.pipeline_types, name="types"),
    path("<int:pipeline_id>/enroll/", views.pipeline_enroll, name="enroll"),
    path("<int:pipeline_id>/stages/new/", views.stage_new, name="stage_create"),
    path("<int:pipeline_id>/stages/<int:stage_id>/edit/", views.stage_edit, name="stage_edit"),
    path(
        "<int:pipeline_id>/stages/<int:stage_id>/archive/",
        views.stage_remove,
        name="stage_archive",
    ),
    path("<int:pipeline_id>/stages/<int:stage_id>/move/", views.stage_reorder, name="stage_move"),
    path(
        "<int:pipeline_id>/stages/<int:stage_id>/actions/new/",
        views.action_new,
        name="action_create",
    ),
    path("<int:pipeline_id>/actions/<int:action_id>/", views.action_edit, name="action_edit"),
    path(
        "<int:pipeline_id>/actions/<int:action_id>/archive/",
        views.action_remove,
        name="action_archive",
    ),
    path(
        "<int:pipeline_id>/actions/<int:action_id>/move/",
        views.action_reorder,
        name="action_move",
    ),
]
