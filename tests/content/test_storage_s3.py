"""The S3 path, for real: an S3-compatible server (moto) on 127.0.0.1, no mocked boto3.

moto does not enforce presigned expiry or signatures, so the test checks what the code
issues (a short expiry, the tenant-prefixed key, the response headers it asks S3 for) and that
the presigned URL really serves the bytes.
"""

import re
import urllib.request
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django_scopes import scopes_disabled

from apps.content.models import ContentOpen
from tests.content.factories import file_asset, pdf_bytes

pytestmark = pytest.mark.django_db


def test_upload_goes_to_the_bucket_under_a_tenant_prefixed_key(acme, s3_storage):
    client, bucket = s3_storage
    asset = file_asset(acme)
    with scopes_disabled():
        key = asset.current_version.file_name
    assert re.fullmatch(rf"tenants/{acme.tenant.pk}/assets/[0-9a-f]{{32}}\.pdf", key)
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [key]
    head = client.head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "application/pdf"
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == pdf_bytes()


@pytest.mark.parametrize(
    ("suffix", "disposition"), [("open/", "inline"), ("download/", "attachment")]
)
def test_portal_hands_out_a_short_lived_presigned_url_after_the_check(
    acme, client_for, s3_storage, suffix, disposition
):
    asset = file_asset(acme)
    with scopes_disabled():
        key = asset.current_version.file_name
    response = client_for(acme, acme.partner_user).get(f"/portal/assets/{asset.pk}/{suffix}")
    assert response.status_code == 302
    assert "private" in response["Cache-Control"]
    url = response["Location"]
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert unquote(parts.path).endswith(f"/{key}")
    assert query["X-Amz-Expires"] == "60"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["response-content-disposition"].startswith(disposition)
    assert query["response-content-type"] == "application/pdf"
    with urllib.request.urlopen(url, timeout=10) as downloaded:  # noqa: S310 - local moto
        assert downloaded.read() == pdf_bytes()
        assert downloaded.headers["Content-Disposition"].startswith(disposition)
    with scopes_disabled():
        assert ContentOpen.objects.filter(asset=asset).count() == 1


def test_no_presigned_url_for_someone_who_may_not_see_the_asset(acme, client_for, s3_storage):
    from apps.content.models import Audience

    asset = file_asset(acme, audience=Audience.SELECTED, accounts=[acme.other_partner])
    response = client_for(acme, acme.partner_user).get(f"/portal/assets/{asset.pk}/download/")
    assert response.status_code == 404
    assert "Location" not in response


def test_expiry_follows_the_setting(acme, client_for, s3_storage, settings):
    settings.STORAGES["default"]["OPTIONS"]["querystring_expire"] = 30
    settings.STORAGES = {**settings.STORAGES}
    asset = file_asset(acme)
    response = client_for(acme, acme.partner_user).get(f"/portal/assets/{asset.pk}/open/")
    assert "X-Amz-Expires=30" in response["Location"]
