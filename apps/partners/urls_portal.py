from django.urls import path

from apps.partners import views

app_name = "partners_portal"
urlpatterns = [
    path("", views.portal_suspended, name="suspended"),
]
