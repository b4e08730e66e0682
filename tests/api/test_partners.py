"""`/api/v1/partners`: the list with the Explorer's filters and keyset pages, one partner,
create, update, suspend/reactivate, domains, users and invitations. Every write is the
console's service with the key as the actor; every refusal changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.api.models import ApiKey
from apps.api.services import api_key_create
from apps.applications import verbs as team_verbs
from apps.audit.models import AuditEvent
from apps.outbox.models import OutboxMessage
from apps.partners import verbs
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerStatus, PartnerType
from apps.partners.services import partner_account_create
from apps.tenancy.models import Membership
from tests.conftest import Program, race

pytestmark = pytest.mark.django_db

ALL = ("partners:read", "partners:write")


@dataclass
class Api:
    """A test client on a program's host sending one of its API keys."""

    client: Client
    key: ApiKey

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1/partners{path}", params)

    def post(self, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.post(
            f"/api/v1/partners{path}", data=data, content_type="application/json"
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1/partners{path}", data=json.dumps(body), content_type="application/json"
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1/partners{path}")


def make_api(program: Program, scopes: tuple[str, ...] = ALL, *, host: str = "") -> Api:
    with scope(tenant=program.tenant):
        made = api_key_create(
            tenant=program.tenant, actor=program.admin, name="CRM sync", scopes=list(scopes)
        )
    client = Client(
        headers={"host": host or program.host, "authorization": f"Bearer {made.secret}"}
    )
    return Api(client=client, key=made.key)


@pytest.fixture
def api(acme: Program) -> Api:
    return make_api(acme)


def _error(response: Any) -> dict:
    return response.json()["error"]


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["data"]]


def _add(program: Program, name: str, **fields: Any) -> PartnerAccount:
    with scopes_disabled():
        partner_type = fields.pop("partner_type", None) or PartnerType.objects.get(
            tenant=program.tenant, name="Reseller / VAR"
        )
        return partner_account_create(
            tenant=program.tenant,
            actor=program.admin,
            name=name,
            partner_type=partner_type,
            **fields,
        )


def _audit(program: Program, verb: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(tenant=program.tenant, verb=verb).order_by("pk"))


# --- Auth and scopes -------------------------------------------------------------------------


def test_no_key_or_another_programs_key_is_401(acme: Program, globex: Program) -> None:
    anonymous = Client(headers={"host": acme.host})
    assert anonymous.get("/api/v1/partners").status_code == 401
    foreign = make_api(globex, host=acme.host)
    response = foreign.get("")
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthorized"
    assert foreign.get(f"/{acme.partner.pk}").status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("get", "/{p}", None),
        ("get", "/{p}/domains", None),
        ("get", "/{p}/users", None),
        ("get", "/{p}/invitations", None),
    ],
)
def test_reads_need_partners_read(acme: Program, method: str, path: str, body: Any) -> None:
    api = make_api(acme, ("events:write", "partners:write"))
    response = getattr(api, method)(path.format(p=acme.partner.pk))
    assert response.status_code == 403
    assert _error(response)["code"] == "insufficient_scope"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "", {"name": "Nope", "type_name": "Reseller / VAR"}),
        ("patch", "/{p}", {"tier": "gold"}),
        ("post", "/{p}/suspend", None),
        ("post", "/{p}/reactivate", None),
        ("post", "/{p}/domains", {"domain": "nope.test"}),
        ("delete", "/{p}/domains/{d}", None),
        ("post", "/{p}/invitations", {"email": "x@one.acme.test"}),
        ("post", "/{p}/invitations/{u}/revoke", None),
        ("post", "/{p}/invitations/{u}/resend", None),
    ],
)
def test_writes_need_partners_write_and_change_nothing(
    acme: Program, method: str, path: str, body: Any
) -> None:
    api = make_api(acme, ("partners:read",))
    with scopes_disabled():
        domain = PartnerDomain.objects.get(account=acme.partner)
        member = acme.partner.users.first()
        before = (
            PartnerAccount.objects.count(),
            PartnerDomain.objects.count(),
            AuditEvent.objects.count(),
        )
    url = path.format(p=acme.partner.pk, d=domain.pk, u=member.pk)
    response = api.delete(url) if method == "delete" else getattr(api, method)(url, body)
    assert response.status_code == 403
    assert _error(response)["code"] == "insufficient_scope"
    with scopes_disabled():
        after = (
            PartnerAccount.objects.count(),
            PartnerDomain.objects.count(),
            AuditEvent.objects.count(),
        )
    assert after == before


def test_another_programs_ids_are_404(api: Api, globex: Program) -> None:
    other = globex.partner
    with scopes_disabled():
        domain = PartnerDomain.objects.get(account=other)
        member = other.users.first()
    for response in (
        api.get(f"/{other.pk}"),
        api.patch(f"/{other.pk}", {"tier": "gold"}),
        api.post(f"/{other.pk}/suspend"),
        api.get(f"/{other.pk}/domains"),
        api.post(f"/{other.pk}/domains", {"domain": "new.test"}),
        api.delete(f"/{other.pk}/domains/{domain.pk}"),
        api.get(f"/{other.pk}/users"),
        api.get(f"/{other.pk}/invitations"),
        api.post(f"/{other.pk}/invitations", {"email": "someone@new.test"}),
        api.post(f"/{other.pk}/invitations/{member.pk}/revoke"),
        api.get("/0"),
        api.get("/99999999999999999999"),
    ):
        assert response.status_code == 404, response.content
        assert _error(response)["code"] == "not_found"
    with scopes_disabled():
        other.refresh_from_db()
        assert other.status == PartnerStatus.ACTIVE
        assert other.tier == "registered"
        assert PartnerDomain.objects.filter(pk=domain.pk).exists()
        assert not PartnerDomain.objects.filter(domain="new.test").exists()


# --- The list --------------------------------------------------------------------------------


def test_list_shows_the_programs_partners_by_name(api: Api, acme: Program, globex: Program) -> None:
    response = api.get("")
    assert _names(response) == ["Acme Partner One", "Acme Partner Two"]
    first = response.json()["data"][0]
    assert first["id"] == acme.partner.pk
    assert first["type"]["name"] == "Reseller / VAR"
    assert first["tier"] == "registered"
    assert first["status"] == "active"
    assert first["domains"] == ["one.acme.test"]
    assert first["cam"] == {"id": acme.cam.pk, "email": acme.cam.email, "name": "Casey Cam"}
    assert first["created_at"].endswith("Z")
    assert response.json()["next_cursor"] is None


def test_list_filters(api: Api, acme: Program) -> None:
    with scopes_disabled():
        distributor = PartnerType.objects.get(tenant=acme.tenant, name="Distributor")
    gold = _add(
        acme,
        "Goldcrest Distribution",
        partner_type=distributor,
        tier="gold",
        region="emea",
        domains=["goldcrest.test"],
    )
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=gold.pk).update(
            status=PartnerStatus.SUSPENDED, activated_at=timezone.now()
        )
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(
            created_at=timezone.now() - timedelta(days=30)
        )
    everyone = ["Acme Partner One", "Acme Partner Two", "Goldcrest Distribution"]
    assert _names(api.get("")) == everyone
    assert _names(api.get("", type_id=distributor.pk)) == ["Goldcrest Distribution"]
    assert _names(api.get("", tier="gold")) == ["Goldcrest Distribution"]
    assert _names(api.get("", status="suspended")) == ["Goldcrest Distribution"]
    assert _names(api.get("", status="active")) == everyone[:2]
    assert _names(api.get("", region="emea")) == ["Goldcrest Distribution"]
    assert _names(api.get("", cam_id=acme.cam.pk)) == everyone[:2]
    assert _names(api.get("", unassigned="true")) == ["Goldcrest Distribution"]
    assert _names(api.get("", activation="activated")) == ["Goldcrest Distribution"]
    assert _names(api.get("", q="goldcr")) == ["Goldcrest Distribution"]
    assert _names(api.get("", q="two.acme")) == ["Acme Partner Two"]  # a domain
    assert _names(api.get("", stage="none")) == everyone  # nobody is enrolled
    assert _names(api.get("", stage="completed")) == []
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert _names(api.get("", created_since=since)) == everyone[1:]
    assert _names(api.get("", sort="-name")) == everyone[::-1]
    assert _names(api.get("", sort="created"))[0] == "Acme Partner One"
    # A filter value of another program's type matches nothing; a bad value is a 400.
    assert _names(api.get("", type_id=10**12)) == []
    bad = api.get("", status="gone")
    assert bad.status_code == 400
    assert "status" in _error(bad)["fields"]
    assert api.get("", q="nul\x00").status_code == 400


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created"])
def test_cursor_pages_are_stable_with_ties(api: Api, acme: Program, sort: str) -> None:
    made = [_add(acme, "Same Name") for _ in range(7)]
    moment = timezone.now()
    with scopes_disabled():
        PartnerAccount.objects.filter(tenant=acme.tenant).update(created_at=moment)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        body = api.get("", **params).json()
        seen += [row["id"] for row in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        # A partner added meanwhile does not shift the pages already read.
        if pages == 1:
            _add(acme, "Zz Late Comer")
    ids = {p.pk for p in made} | {acme.partner.pk, acme.other_partner.pk}
    assert len(seen) == len(set(seen))  # no partner twice
    assert ids <= set(seen)  # none skipped
    ties = [pk for pk in seen if pk in {p.pk for p in made}]
    assert ties == sorted(ties, reverse=sort.startswith("-"))  # ties broken by id


def test_a_bad_or_foreign_cursor_is_400(api: Api, acme: Program) -> None:
    for _ in range(3):
        _add(acme, "Filler")
    cursor = api.get("", limit=1).json()["next_cursor"]
    assert cursor
    for bad in ("garbage", cursor[:-3] + "abc"):
        response = api.get("", cursor=bad)
        assert response.status_code == 400
        assert _error(response)["code"] == "invalid_cursor"
    assert api.get("", cursor=cursor, sort="-created").status_code == 400
    assert api.get("", cursor=cursor, limit=1).status_code == 200


def _list_queries(api: Api, limit: int) -> int:
    api.get("", limit=limit)  # warm (the key's last-used time, caches)
    with CaptureQueriesContext(connection) as captured:
        response = api.get("", limit=limit, q="partner")
    assert response.status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_the_partners(
    api: Api, acme: Program, django_assert_max_num_queries: Any
) -> None:
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=acme.other_partner.pk).delete()
    one = _list_queries(api, 100)
    for n in range(49):
        _add(acme, f"Partner {n:02d}", domains=[f"p{n}.test", f"q{n}.test"])
    fifty = _list_queries(api, 100)
    assert fifty == one
    # The key, the page (its rows with their domains), the request log: whatever it holds.
    with django_assert_max_num_queries(3):
        response = api.get("", limit=100)
    assert len(response.json()["data"]) == 50


# --- One partner, create, update -------------------------------------------------------------


def test_get_a_partner(api: Api, acme: Program) -> None:
    response = api.get(f"/{acme.partner.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Acme Partner One"
    assert body["domains"] == ["one.acme.test"]
    assert body["version"]
    assert body["dark_since"] is None


def test_create_a_partner_through_the_console_service(
    api: Api, acme: Program, client_for: Any
) -> None:
    response = api.post(
        "",
        {
            "name": "  Northwind Traders ",
            "type_name": "managed service provider",
            "tier": "silver",
            "region": "emea",
            "domains": ["@Northwind.TEST.", "northwind.de"],
            "cam_email": acme.cam.email.upper(),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Northwind Traders"
    assert body["type"]["name"] == "Managed Service Provider"
    assert body["tier"] == "silver"
    assert body["region"] == "emea"
    assert body["domains"] == ["northwind.de", "northwind.test"]
    assert body["cam"]["id"] == acme.cam.pk
    (created,) = [e for e in _audit(acme, verbs.PARTNER_CREATED) if e.partner_id == body["id"]]
    assert created.actor is None
    assert created.actor_label == api.key.audit_label
    assert len([e for e in _audit(acme, verbs.PARTNER_DOMAIN_ADDED) if e.partner_id == body["id"]])
    # It is in the console's Partner Explorer at once.
    explorer = client_for(acme, acme.cam).get("/console/partners/", {"q": "northwind"})
    assert b"Northwind Traders" in explorer.content
    by_id = api.post("", {"name": "Contoso", "type_id": body["type"]["id"], "cam_id": acme.cam.pk})
    assert by_id.status_code == 201
    assert by_id.json()["tier"] == "registered"
    # The least a CRM sends: a name (the program's first type, no CAM, no domain).
    least = api.post("", {"name": "Fabrikam"})
    assert least.status_code == 201, least.content
    assert least.json()["type"]["name"] == "Reseller / VAR"
    assert least.json()["cam"] is None


RESELLER = {"name": "X", "type_name": "Reseller / VAR"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        # The program's rules (free mail, a domain of another account): 409.
        ({**RESELLER, "domains": ["gmail.com"]}, 409, None),
        ({**RESELLER, "domains": ["ok.test", "two.acme.test"]}, 409, None),
        # References the program does not hold: 404, as any id not of the program.
        ({"name": "X", "type_name": "Nope"}, 404, None),
        ({**RESELLER, "tier": "diamond"}, 404, None),
        ({**RESELLER, "cam_email": "padmin@one.acme.test"}, 404, None),  # not staff
        ({**RESELLER, "cam_id": 10**9}, 404, None),
        # What the schema refuses: 400 with the field.
        ({"name": "", "type_name": "Reseller / VAR"}, 400, "name"),
        ({"name": "   ", "type_name": "Reseller / VAR"}, 400, "name"),
        ({"name": "A\x00B", "type_name": "Reseller / VAR"}, 400, "name"),
        ({"name": "A\nB", "type_name": "Reseller / VAR"}, 400, "name"),
        ({**RESELLER, "domains": ["not a domain"]}, 400, "domains"),
        ({**RESELLER, "region": "mars"}, 400, "region"),
        ({**RESELLER, "surprise": 1}, 400, "surprise"),
    ],
)
def test_create_refusals_change_nothing(
    api: Api, acme: Program, body: dict, status: int, field: str | None
) -> None:
    with scopes_disabled():
        before = (PartnerAccount.objects.count(), PartnerDomain.objects.count())
    response = api.post("", body)
    assert response.status_code == status, response.content
    error = _error(response)
    assert error["code"] == {400: "invalid", 404: "not_found", 409: "conflict"}[status]
    if field:
        assert field in error["fields"]
    with scopes_disabled():
        assert (PartnerAccount.objects.count(), PartnerDomain.objects.count()) == before
        assert AuditEvent.objects.filter(verb=verbs.PARTNER_CREATED, actor=None).count() == 0


def test_create_refuses_another_programs_type_and_two_different_types(
    api: Api, acme: Program, globex: Program
) -> None:
    with scopes_disabled():
        theirs = PartnerType.objects.filter(tenant=globex.tenant).first()
        distributor = PartnerType.objects.get(tenant=acme.tenant, name="Distributor")
        before = PartnerAccount.objects.count()
    assert api.post("", {"name": "X", "type_id": theirs.pk}).status_code == 404
    both = api.post("", {**RESELLER, "type_id": distributor.pk})
    assert both.status_code == 409
    with scopes_disabled():
        assert PartnerAccount.objects.count() == before


def test_update_a_partner_audited_as_the_key(api: Api, acme: Program) -> None:
    response = api.patch(
        f"/{acme.partner.pk}",
        {"tier": "gold", "region": "apac", "domains": ["one.acme.test", "uno.acme.test"]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["tier"], body["region"]) == ("gold", "apac")
    assert body["domains"] == ["one.acme.test", "uno.acme.test"]
    assert body["cam"]["id"] == acme.cam.pk  # not given: unchanged
    (event,) = _audit(acme, verbs.PARTNER_UPDATED)
    assert event.actor is None
    assert event.actor_label == api.key.audit_label
    assert event.data["from"]["tier"] == "registered"
    assert event.data["to"]["tier"] == "gold"
    assert event.data["to"]["domains"] == ["one.acme.test", "uno.acme.test"]
    # cam_id: null unassigns; region: null clears.
    cleared = api.patch(f"/{acme.partner.pk}", {"cam_id": None, "region": None}).json()
    assert cleared["cam"] is None
    assert cleared["region"] is None
    # A PATCH with nothing to change writes nothing.
    api.patch(f"/{acme.partner.pk}", {"tier": "gold"})
    assert len(_audit(acme, verbs.PARTNER_UPDATED)) == 2


def test_update_with_a_stale_version_is_409_and_changes_nothing(api: Api, acme: Program) -> None:
    version = api.get(f"/{acme.partner.pk}").json()["version"]
    assert api.patch(f"/{acme.partner.pk}", {"tier": "silver"}).status_code == 200
    response = api.patch(f"/{acme.partner.pk}", {"tier": "gold", "version": version})
    assert response.status_code == 409
    assert _error(response)["code"] == "conflict"
    with scopes_disabled():
        acme.partner.refresh_from_db()
    assert acme.partner.tier == "silver"
    fresh = api.get(f"/{acme.partner.pk}").json()["version"]
    assert api.patch(f"/{acme.partner.pk}", {"tier": "gold", "version": fresh}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"domains": ["gmail.com"]}, 409, None),
        ({"domains": ["two.acme.test"]}, 409, None),
        ({"tier": "diamond"}, 404, None),
        ({"type_id": 10**9}, 404, None),
        ({"cam_email": "padmin@one.acme.test"}, 404, None),
        ({"region": "mars"}, 400, "region"),
        ({"domains": ["x"]}, 400, "domains"),
    ],
)
def test_update_refusals_change_nothing(
    api: Api, acme: Program, body: dict, status: int, field: str | None
) -> None:
    before = api.get(f"/{acme.partner.pk}").json()
    response = api.patch(f"/{acme.partner.pk}", body)
    assert response.status_code == status, response.content
    if field:
        assert field in _error(response)["fields"]
    assert api.get(f"/{acme.partner.pk}").json() == before
    assert _audit(acme, verbs.PARTNER_UPDATED) == []


# --- Suspend and reactivate ------------------------------------------------------------------


def test_suspend_and_reactivate(api: Api, acme: Program) -> None:
    response = api.post(f"/{acme.partner.pk}/suspend", {"reason": "Contract ended"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "suspended"
    (event,) = _audit(acme, verbs.PARTNER_SUSPENDED)
    assert event.actor_label == api.key.audit_label
    assert event.data == {"from": "active", "to": "suspended", "reason": "Contract ended"}
    again = api.post(f"/{acme.partner.pk}/suspend")
    assert again.status_code == 409
    assert _error(again)["code"] == "conflict"
    assert len(_audit(acme, verbs.PARTNER_SUSPENDED)) == 1
    back = api.post(f"/{acme.partner.pk}/reactivate")  # no body at all
    assert back.status_code == 200
    assert back.json()["status"] == "active"
    assert api.post(f"/{acme.partner.pk}/reactivate").status_code == 409
    assert len(_audit(acme, verbs.PARTNER_REACTIVATED)) == 1


# --- Domains ---------------------------------------------------------------------------------


def test_domains_add_list_delete(api: Api, acme: Program) -> None:
    url = f"/{acme.partner.pk}/domains"
    added = api.post(url, {"domain": "Uno.Acme.TEST"})
    assert added.status_code == 201, added.content
    assert added.json()["domain"] == "uno.acme.test"
    listed = api.get(url).json()["data"]
    assert [d["domain"] for d in listed] == ["one.acme.test", "uno.acme.test"]
    (event,) = _audit(acme, verbs.PARTNER_UPDATED)
    assert event.actor_label == api.key.audit_label
    deleted = api.delete(f"{url}/{added.json()['id']}")
    assert deleted.status_code == 204
    assert [d["domain"] for d in api.get(url).json()["data"]] == ["one.acme.test"]


@pytest.mark.parametrize(
    ("domain", "status"),
    [("gmail.com", 409), ("two.acme.test", 409), ("one.acme.test", 409), ("x", 400)],
)
def test_domain_refusals_change_nothing(api: Api, acme: Program, domain: str, status: int) -> None:
    response = api.post(f"/{acme.partner.pk}/domains", {"domain": domain})
    assert response.status_code == status, response.content
    with scopes_disabled():
        assert list(
            PartnerDomain.objects.filter(account=acme.partner).values_list("domain", flat=True)
        ) == ["one.acme.test"]
    assert _audit(acme, verbs.PARTNER_UPDATED) == []


def test_deleting_another_partners_domain_is_404(api: Api, acme: Program) -> None:
    with scopes_disabled():
        other = PartnerDomain.objects.get(account=acme.other_partner)
    response = api.delete(f"/{acme.partner.pk}/domains/{other.pk}")
    assert response.status_code == 404
    with scopes_disabled():
        assert PartnerDomain.objects.filter(pk=other.pk).exists()


# --- Users and invitations -------------------------------------------------------------------


def test_users_list(api: Api, acme: Program) -> None:
    response = api.get(f"/{acme.partner.pk}/users")
    assert response.status_code == 200
    rows = response.json()["data"]
    assert [(r["email"], r["role"], r["status"]) for r in rows] == [
        ("padmin@one.acme.test", "partner_admin", "active"),
        ("puser@one.acme.test", "partner_user", "active"),
    ]


def test_invite_list_resend_and_revoke(api: Api, acme: Program) -> None:
    url = f"/{acme.partner.pk}/invitations"
    with scopes_disabled():
        outbox_before = OutboxMessage.objects.filter(
            kind="applications.team_invitation_email"
        ).count()
    response = api.post(url, {"email": "New.Person@one.acme.test", "role": "partner_admin"})
    assert response.status_code == 201, response.content
    invitation = response.json()
    assert (invitation["email"], invitation["role"], invitation["status"]) == (
        "new.person@one.acme.test",
        "partner_admin",
        "pending",
    )
    (event,) = _audit(acme, team_verbs.TEAM_MEMBER_INVITED)
    assert event.actor_label == api.key.audit_label
    assert event.partner_id == acme.partner.pk
    with scopes_disabled():
        sent = OutboxMessage.objects.filter(kind="applications.team_invitation_email")
        assert sent.count() == outbox_before + 1
    pending = api.get(url, status="pending").json()["data"]
    assert [i["email"] for i in pending] == ["new.person@one.acme.test"]
    assert len(api.get(url, status="accepted").json()["data"]) == 2
    users = api.get(f"/{acme.partner.pk}/users").json()["data"]
    assert users[-1]["status"] == "invited"

    assert api.post(f"{url}/{invitation['id']}/resend").status_code == 200
    with scopes_disabled():
        assert sent.count() == outbox_before + 2
    revoked = api.post(f"{url}/{invitation['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    with scopes_disabled():
        assert not Membership.objects.get(
            tenant=acme.tenant, user__email="new.person@one.acme.test"
        ).is_active
    for again in ("revoke", "resend"):
        response = api.post(f"{url}/{invitation['id']}/{again}")
        assert response.status_code == 409
    assert len(_audit(acme, team_verbs.TEAM_MEMBER_REMOVED)) == 1


def test_invitation_refusals(api: Api, acme: Program) -> None:
    url = f"/{acme.partner.pk}/invitations"
    with scopes_disabled():
        before = Membership.objects.count()
        accepted = acme.partner.users.get(membership__user__email="puser@one.acme.test")
        theirs = acme.other_partner.users.first()
    for body, status in (
        ({"email": "padmin@two.acme.test"}, 409),  # a user of another partner
        ({"email": "cam@acme.test"}, 409),  # program staff
        ({"email": "puser@one.acme.test"}, 409),  # already a user here
        ({"email": "not-an-email"}, 400),
        ({"email": "x@one.acme.test", "role": "program_admin"}, 400),
    ):
        response = api.post(url, body)
        assert response.status_code == status, (body, response.content)
    with scopes_disabled():
        assert Membership.objects.count() == before
    # An accepted invitation cannot be revoked; another partner's is not found here.
    assert api.post(f"{url}/{accepted.pk}/revoke").status_code == 409
    assert api.post(f"{url}/{theirs.pk}/revoke").status_code == 404
    with scopes_disabled():
        assert Membership.objects.get(pk=theirs.membership_id).is_active


@pytest.mark.django_db(transaction=True)
def test_two_suspensions_at_once_make_one(acme: Program) -> None:
    first, second = make_api(acme), make_api(acme)
    url = f"/{acme.partner.pk}/suspend"
    results = race(lambda: first.post(url).status_code, lambda: second.post(url).status_code)
    assert sorted(results) == [200, 409]
    assert len(_audit(acme, verbs.PARTNER_SUSPENDED)) == 1
