from django.urls import path

from apps.milestones import views_type_change

app_name = "partner_type_change"
urlpatterns = [path("", views_type_change.partner_type_change, name="confirm")]
