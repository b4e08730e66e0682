from django.urls import path

from apps.applications import views_public as views

app_name = "applications_public"
urlpatterns = [
    path("", views.apply, name="apply"),
    path("sent/", views.apply_sent, name="sent"),
    path("resend/", views.resend, name="resend"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("invitation/<str:token>/", views.apply_invited, name="invitation"),
]
