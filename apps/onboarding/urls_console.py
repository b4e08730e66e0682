from django.urls import path

from apps.onboarding import views_console as views
from apps.onboarding import views_reenroll

app_name = "onboarding_console"
urlpatterns = [
    path("", views.onboarding_tab, name="tab"),
    path("actions/<int:progress_id>/<str:event>/", views.onboarding_action_event, name="event"),
    path("move/", views.onboarding_move_next, name="move"),
    path("enroll/", views.onboarding_enroll, name="enroll"),
    path("reenroll/", views_reenroll.onboarding_reenroll, name="reenroll"),
    path("files/<int:file_id>/", views.onboarding_file, name="file"),
]
