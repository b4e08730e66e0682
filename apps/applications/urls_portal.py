from django.urls import path

from apps.applications import views_portal as views

app_name = "applications_portal"
urlpatterns = [
    path("", views.team_requests, name="requests"),
    path("<int:pk>/add/", views.team_add, name="add"),
    path("<int:pk>/decline/", views.team_decline, name="decline"),
]
