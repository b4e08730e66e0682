from django.urls import path

from apps.applications import views_team as views

app_name = "applications_team"
urlpatterns = [
    path("", views.team, name="team"),
    path("invite/", views.team_invite, name="invite"),
    path("<int:pk>/role/", views.team_role, name="role"),
    path("<int:pk>/remove/", views.team_remove, name="remove"),
]
