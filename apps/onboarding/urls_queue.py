from django.urls import path

from apps.onboarding import views_queue as views

app_name = "queue"
urlpatterns = [
    path("", views.queue_list, name="list"),
    path("validate/", views.queue_validate_selected, name="validate_selected"),
    path("<int:progress_id>/validate/", views.queue_validate, name="validate"),
    path("<int:progress_id>/request-changes/", views.queue_request_changes, name="request_changes"),
]
