from django.urls import path

from apps.content import views

app_name = "content_portal"
urlpatterns = [
    path("assets/", views.portal_asset_list, name="asset_list"),
    path("assets/<int:pk>/", views.portal_asset_detail, name="asset_detail"),
    path("assets/<int:pk>/open/", views.portal_asset_open, name="asset_open"),
    path("assets/<int:pk>/download/", views.portal_asset_download, name="asset_download"),
    path("help/", views.portal_article_list, name="article_list"),
    path("help/<slug:slug>/", views.portal_article_detail, name="article"),
]
