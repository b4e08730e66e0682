"""Saved Partner Explorer views, per user and program: save the current filters under a
name, see them in the console nav and the Explorer's menu, rename, delete."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.partners.models import SavedView
from apps.partners.saved_views import saved_view_query_clean
from apps.partners.services import PartnerError, saved_view_create

pytestmark = pytest.mark.django_db

EXPLORER = "/console/partners/"


def _views(program, user):
    with scopes_disabled():
        return list(
            SavedView.objects.filter(tenant=program.tenant, user=user)
            .order_by("position")
            .values_list("name", "query")
        )


def _save(client, name, query):
    return client.post(f"{EXPLORER}views/", {"name": name, "query": query})


def _make(program, user, name="Gold EMEA", query="tier=gold&region=emea"):
    with scope(tenant=program.tenant):
        return saved_view_create(tenant=program.tenant, actor=user, name=name, query=query)


def test_save_the_current_filters_and_find_them_in_the_nav_and_menu(acme, client_for):
    client = client_for(acme, acme.cam)
    response = _save(client, "  Gold   EMEA ", "tier=gold&region=emea&page=3&evil=1&stage=")
    assert response.status_code == 302
    assert response["Location"] == f"{EXPLORER}?region=emea&tier=gold"
    assert _views(acme, acme.cam) == [("Gold EMEA", "region=emea&tier=gold")]
    # In the nav of every console page, and marked current on the Explorer with those filters.
    home = client.get("/console/").content.decode()
    assert (
        'class="nav__link nav__link--sub" href="/console/partners/?region=emea&amp;tier=gold"'
        in home
    )
    page = client.get(EXPLORER, {"tier": "gold", "region": "emea"}).content.decode()
    assert 'href="/console/partners/?region=emea&amp;tier=gold" aria-current="page"' in page
    assert "Your saved views" in page
    with scopes_disabled():
        event = AuditEvent.objects.get(tenant=acme.tenant, verb="partner.saved_view_created")
    assert event.actor == acme.cam
    assert event.data["name"] == {"from": None, "to": "Gold EMEA"}


def test_saved_views_are_private_to_their_user_and_program(acme, globex, client_for):
    _make(acme, acme.cam)
    admin_page = client_for(acme, acme.admin).get(EXPLORER).content.decode()
    assert "Gold EMEA" not in admin_page
    globex_page = client_for(globex, globex.cam).get(EXPLORER).content.decode()
    assert "Gold EMEA" not in globex_page
    assert "Gold EMEA" in client_for(acme, acme.cam).get(EXPLORER).content.decode()


def test_another_users_view_id_is_a_404_and_changes_nothing(acme, globex, client_for):
    view = _make(acme, acme.cam)
    for client in (client_for(acme, acme.admin), client_for(globex, globex.cam)):
        assert (
            client.post(f"{EXPLORER}views/{view.pk}/rename/", {"name": "Mine"}).status_code == 404
        )
        assert client.post(f"{EXPLORER}views/{view.pk}/delete/").status_code == 404
    assert _views(acme, acme.cam) == [("Gold EMEA", "region=emea&tier=gold")]


def test_rename_and_delete_your_own(acme, client_for):
    view = _make(acme, acme.cam)
    _make(acme, acme.cam, name="Stalled", query="stalled=14")
    client = client_for(acme, acme.cam)
    response = client.post(
        f"{EXPLORER}views/{view.pk}/rename/", {"name": "Gold partners", "query": "tier=gold"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{EXPLORER}?tier=gold"
    assert _views(acme, acme.cam) == [
        ("Gold partners", "region=emea&tier=gold"),
        ("Stalled", "stalled=14"),
    ]
    # The nav shows the new name at once (the cached list was dropped).
    assert "Gold partners" in client.get("/console/").content.decode()
    # A name the user already has is refused with a clear message.
    response = client.post(f"{EXPLORER}views/{view.pk}/rename/", {"name": "Stalled"}, follow=True)
    assert "You already have a view called “Stalled”." in response.content.decode()
    assert client.post(f"{EXPLORER}views/{view.pk}/delete/").status_code == 302
    assert _views(acme, acme.cam) == [("Stalled", "stalled=14")]
    home = client.get("/console/").content.decode()  # (the message names it once more)
    assert '<span class="truncate">Gold partners</span>' not in home
    assert '<span class="truncate">Stalled</span>' in home
    with scopes_disabled():
        verbs = set(
            AuditEvent.objects.filter(
                tenant=acme.tenant, verb__startswith="partner.saved_view"
            ).values_list("verb", flat=True)
        )
    assert verbs == {
        "partner.saved_view_created",
        "partner.saved_view_renamed",
        "partner.saved_view_deleted",
    }


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("", "tier=gold", "Give the view a name."),
        ("   ", "tier=gold", "Give the view a name."),
        ("x" * 81, "tier=gold", "Use at most 80 characters"),
        ("Nothing", "", "Choose some filters first"),
        ("Nothing", "page=2&evil=1&stage=", "Choose some filters first"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_saves_nothing(
    acme, client_for, name, query, message
):
    client = client_for(acme, acme.cam)
    response = client.post(f"{EXPLORER}views/", {"name": name, "query": query}, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _views(acme, acme.cam) == []


def test_the_same_name_twice_is_refused(acme, client_for):
    _make(acme, acme.cam)
    response = _save(client_for(acme, acme.cam), "Gold EMEA", "tier=silver")
    assert response.status_code == 302
    assert _views(acme, acme.cam) == [("Gold EMEA", "region=emea&tier=gold")]
    # Another user may use the same name.
    _make(acme, acme.admin)
    assert _views(acme, acme.admin) == [("Gold EMEA", "region=emea&tier=gold")]


def test_partner_users_cannot_save_views(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    assert _save(client, "Mine", "tier=gold").status_code == 404
    with scope(tenant=acme.tenant), pytest.raises(PartnerError):
        saved_view_create(
            tenant=acme.tenant, actor=acme.partner_admin, name="Mine", query="tier=gold"
        )
    assert _views(acme, acme.partner_admin) == []


def test_a_get_is_not_allowed(acme, client_for):
    assert client_for(acme, acme.cam).get(f"{EXPLORER}views/").status_code == 405


def test_query_keeps_only_known_explorer_parameters():
    assert saved_view_query_clean("q=north&stage=12&stalled=7&overdue=alert&page=4&x=1") == (
        "overdue=alert&q=north&stage=12&stalled=7"
    )
    assert saved_view_query_clean("tier=gold&tier=silver") == "tier=gold"
    assert saved_view_query_clean("") == ""


def test_a_saved_view_with_a_value_gone_stale_still_opens(acme, client_for):
    """A stage deleted since the view was saved: the Explorer drops that filter, no 500."""
    _make(acme, acme.cam, name="Old stage", query="stage=999999&tier=gold")
    response = client_for(acme, acme.cam).get(EXPLORER, {"stage": "999999", "tier": "gold"})
    assert response.status_code == 200


def test_nav_costs_no_query_once_cached(acme, client_for, django_assert_max_num_queries):
    _make(acme, acme.cam)
    client = client_for(acme, acme.cam)
    client.get("/console/partners/")  # fills the cache
    with django_assert_max_num_queries(13):
        response = client.get("/console/partners/", {"tier": "gold"})
    assert "Gold EMEA" in response.content.decode()
