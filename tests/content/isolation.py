from tests.content.factories import article, file_asset


def samples(program):
    asset = file_asset(program, title="Isolation sample")
    published = article(program, title="Isolation sample article")
    return {
        "content_console:asset_edit": {"pk": asset.pk},
        "content_console:asset_replace": {"pk": asset.pk},
        "content_console:asset_archive": {"pk": asset.pk},
        "content_console:asset_restore": {"pk": asset.pk},
        "content_console:asset_version_download": {
            "pk": asset.pk,
            "version_pk": asset.current_version_id,
        },
        "content_console:article_edit": {"pk": published.pk},
        "content_console:article_publish": {"pk": published.pk},
        "content_console:article_unpublish": {"pk": published.pk},
        "content_portal:asset_detail": {"pk": asset.pk},
        "content_portal:asset_open": {"pk": asset.pk},
        "content_portal:asset_download": {"pk": asset.pk},
        "content_portal:article": {"slug": published.slug},
    }
