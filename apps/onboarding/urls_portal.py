from django.urls import path

from apps.onboarding import views_portal as views

app_name = "onboarding_portal"
urlpatterns = [
    path("", views.journey, name="journey"),
    path("actions/<int:progress_id>/", views.action_page, name="action"),
    path("actions/<int:progress_id>/open/", views.action_open, name="open"),
    path("files/<int:file_id>/", views.own_file, name="file"),
]
