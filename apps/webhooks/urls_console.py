from django.urls import path  # noqa: F401

app_name = "webhooks_console"
urlpatterns: list = []
