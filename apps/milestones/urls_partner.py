from django.urls import path

from apps.milestones import views

app_name = "milestones_partner"
urlpatterns = [
    path("", views.milestones_tab, name="tab"),
    path("log/", views.milestones_log, name="log"),
    path("start/", views.milestones_start, name="start"),
    path("<int:item_id>/check-off/", views.milestones_check_off, name="check_off"),
    path("review/", views.review_view, name="review"),
    path("review/record/", views.review_record_view, name="review_record"),
    path("review/plan/", views.review_plan_view, name="review_plan"),
]
