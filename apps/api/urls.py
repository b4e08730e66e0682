from django.urls import path

from apps.api import views

app_name = "api"
urlpatterns = [
    path("", views.api_root, name="root"),
    path("schema/", views.api_schema, name="schema"),
    path("events", views.api_events, name="events"),
    path("events/", views.api_events),
]
