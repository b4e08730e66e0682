from django.urls import path

from apps.home import views_privacy

app_name = "privacy"
urlpatterns = [
    path("", views_privacy.index, name="index"),
    path("retention/", views_privacy.retention, name="retention"),
    path("people/<str:key>/", views_privacy.person, name="person"),
    path("people/<str:key>/export/", views_privacy.export, name="export"),
    path("people/<str:key>/erase/", views_privacy.erase, name="erase"),
]
