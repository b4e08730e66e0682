from django.urls import path

from apps.notifications import views_wording

app_name = "email_wording"
urlpatterns = [
    path("", views_wording.wording_list, name="list"),
    path("<str:key>/", views_wording.wording_edit, name="edit"),
]
