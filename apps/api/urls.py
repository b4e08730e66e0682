from django.urls import path, re_path

from apps.api.ninja_api import api_not_found, api_root, api_urlpatterns

app_name = "api"
urlpatterns = [
    path("", api_root, name="root"),
    *api_urlpatterns(),
    # Anything else under /api/v1/: 404 in the API's envelope, not an HTML page.
    re_path(r"^.*$", api_not_found, name="not_found"),
]
