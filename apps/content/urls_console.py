from django.urls import path

from apps.content import views_articles, views_assets

app_name = "content_console"
urlpatterns = [
    path("assets/", views_assets.console_asset_list, name="asset_list"),
    path("assets/new/", views_assets.console_asset_create, name="asset_create"),
    path("assets/<int:pk>/", views_assets.console_asset_edit, name="asset_edit"),
    path("assets/<int:pk>/replace/", views_assets.console_asset_replace, name="asset_replace"),
    path("assets/<int:pk>/archive/", views_assets.console_asset_archive, name="asset_archive"),
    path("assets/<int:pk>/restore/", views_assets.console_asset_restore, name="asset_restore"),
    path(
        "assets/<int:pk>/versions/<int:version_pk>/",
        views_assets.console_asset_version_download,
        name="asset_version_download",
    ),
    path("help/", views_articles.console_article_list, name="article_list"),
    path("help/new/", views_articles.console_article_create, name="article_create"),
    path("help/preview/", views_articles.console_article_preview, name="article_preview"),
    path("help/<int:pk>/", views_articles.console_article_edit, name="article_edit"),
    path("help/<int:pk>/publish/", views_articles.console_article_publish, name="article_publish"),
    path(
        "help/<int:pk>/unpublish/",
        views_articles.console_article_unpublish,
        name="article_unpublish",
    ),
]
