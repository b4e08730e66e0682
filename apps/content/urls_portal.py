from django.urls import path

from apps.content import views_articles, views_assets

app_name = "content_portal"
urlpatterns = [
    path("assets/", views_assets.portal_asset_list, name="asset_list"),
    path("assets/<int:pk>/", views_assets.portal_asset_detail, name="asset_detail"),
    path("assets/<int:pk>/open/", views_assets.portal_asset_open, name="asset_open"),
    path("assets/<int:pk>/download/", views_assets.portal_asset_download, name="asset_download"),
    path("help/", views_articles.portal_article_list, name="article_list"),
    path("help/<slug:slug>/", views_articles.portal_article_detail, name="article"),
]
