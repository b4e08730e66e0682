from django.urls import path

from apps.home import views_team

app_name = "staff"
urlpatterns = [
    path("", views_team.team, name="team"),
    path("<int:membership_id>/resend/", views_team.team_resend, name="resend"),
    path("<int:membership_id>/role/", views_team.team_role, name="role"),
    path("<int:membership_id>/deactivate/", views_team.team_deactivate, name="deactivate"),
    path("<int:membership_id>/reactivate/", views_team.team_reactivate, name="reactivate"),
]
