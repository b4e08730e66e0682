"""content_open_record and content_opens_since: the contract higher layers build on."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope

from apps.content.models import ContentOpen, OpenKind
from apps.content.selectors import content_opens_since
from apps.content.services import ContentError, content_open_record
from tests.content.factories import article, file_asset

pytestmark = pytest.mark.django_db


def test_record_and_read_back_since(acme):
    asset = file_asset(acme)
    doc = article(acme)
    start = timezone.now()
    with scope(tenant=acme.tenant):
        with time_machine.travel(start - timedelta(days=2)):
            content_open_record(
                tenant=acme.tenant,
                user=acme.partner_user,
                partner_account=acme.partner,
                asset=asset,
                kind="view",
            )
        download = content_open_record(
            tenant=acme.tenant,
            user=acme.partner_user,
            partner_account=acme.partner,
            asset=asset,
            kind=OpenKind.DOWNLOAD,
        )
        read = content_open_record(
            tenant=acme.tenant,
            user=acme.other_partner_user,
            partner_account=acme.other_partner,
            article=doc,
            kind="read",
        )
        assert list(content_opens_since(tenant=acme.tenant, since=start)) == [download, read]
        assert list(
            content_opens_since(tenant=acme.tenant, since=start, partner_account=acme.partner)
        ) == [download]
        assert list(content_opens_since(tenant=acme.tenant, since=start, kind="read")) == [read]
        assert list(content_opens_since(tenant=acme.tenant, since=start, article=doc)) == [read]
        everything = content_opens_since(
            tenant=acme.tenant, since=start - timedelta(days=3), asset=asset
        )
        assert [o.kind for o in everything] == ["view", "download"]
    assert download.asset_version_id == asset.current_version_id
    assert download.tenant_id == acme.tenant.pk


def test_record_refuses_inconsistent_events(acme, globex):
    asset = file_asset(acme)
    doc = article(acme)
    foreign = file_asset(globex)
    base = {"tenant": acme.tenant, "user": acme.partner_user, "partner_account": acme.partner}
    with scope(tenant=acme.tenant):
        for kwargs in [
            {"asset": asset, "article": doc, "kind": "view"},
            {"kind": "view"},
            {"asset": asset, "kind": "read"},
            {"article": doc, "kind": "download"},
            {"asset": foreign, "kind": "view"},
        ]:
            with pytest.raises(ContentError):
                content_open_record(**base, **kwargs)
        with pytest.raises(ContentError):
            content_open_record(
                **{**base, "partner_account": globex.partner}, asset=asset, kind="view"
            )
        # The database holds the same rule.
        with pytest.raises(IntegrityError), transaction.atomic():
            ContentOpen.objects.create(**base, asset=asset, kind="read")
        assert not ContentOpen.objects.exists()


def test_selector_is_one_query(acme, django_assert_num_queries):
    asset = file_asset(acme)
    with scope(tenant=acme.tenant):
        for _ in range(5):
            content_open_record(
                tenant=acme.tenant,
                user=acme.partner_user,
                partner_account=acme.partner,
                asset=asset,
                kind="view",
            )
        since = timezone.now() - timedelta(hours=1)
        with django_assert_num_queries(1):
            assert len(list(content_opens_since(tenant=acme.tenant, since=since))) == 5
