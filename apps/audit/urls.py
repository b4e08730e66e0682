from django.urls import path

from apps.audit import views

app_name = "audit_log"
urlpatterns = [
    path("", views.audit_log, name="index"),
    path("export/", views.audit_log_export, name="export"),
]
