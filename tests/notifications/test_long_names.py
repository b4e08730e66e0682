"""Issue 14 point 6: long names never break a notification. Every notification kind, with
200-character partner, person, stage, action, pipeline and rule names, is stored with a title
(= email subject) within the column, ended with "…" when cut; no database error inside the
business transaction."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django_scopes import scope

from apps.applications.models import DecisionRule
from apps.notifications.formatting import truncate_title
from apps.notifications.models import Notification
from apps.notifications.services import notification_create
from apps.notifications.wording import sample_context
from apps.partners.services import partner_account_create
from tests.applications.conftest import apply_and_confirm, configure, reload, reseller

pytestmark = pytest.mark.django_db

LIMIT = Notification._meta.get_field("title").max_length


def _long(word: str, n: int = 200) -> str:
    return (word + " ") * (n // (len(word) + 1)) + "X" * (n % (len(word) + 1))


PARTNER = _long("Northwind")
PERSON_FIRST = _long("Maximiliane", 100)
PERSON_LAST = _long("Wolfeschlegelsteinhausen", 100)
STAGE = _long("Stage")
ACTION = _long("Action")
PIPELINE = _long("Pipeline")
RULE = _long("Rule")


def _kinds() -> list[str]:
    root = Path(settings.BASE_DIR) / "templates" / "notifications"
    return sorted(p.name for p in root.iterdir() if (p / "body.txt").exists())


def _long_context(tenant) -> dict:
    """The preview's sample objects, each with a 200-character name."""
    context = sample_context(tenant)
    full = f"{PERSON_FIRST} {PERSON_LAST}"
    for person in (context["recipient"], context["inviter"]):
        person.first_name = PERSON_FIRST
        person.last_name = PERSON_LAST
        person.get_full_name = lambda full=full: full
        person.get_short_name = lambda: PERSON_FIRST
    context["account"].name = PARTNER
    context["waiting"][1].partner_account.name = PARTNER
    context["action"].title = ACTION
    context["stage"].name = STAGE
    context["pipeline"].name = PIPELINE
    context["alerts"][0].rule.label = RULE
    context["application"].first_name = PERSON_FIRST
    context["application"].full_name = full
    context["application"].company = PARTNER
    context["actor_name"] = full
    context["names"] = [PARTNER, PARTNER]
    context["open_actions"][0].update(title=ACTION, stage=STAGE)
    context.pop("url")
    context.pop("tenant")
    return context


def test_every_kind_is_found():
    kinds = _kinds()
    assert {"partner_assigned", "stage_moved", "application_team_request"} <= set(kinds)
    assert len(kinds) >= 14


@pytest.mark.parametrize("kind", _kinds())
def test_every_kind_with_200_character_names_is_stored_within_the_column(acme, kind):
    with scope(tenant=acme.tenant), transaction.atomic():
        notification = notification_create(
            tenant=acme.tenant,
            recipient=acme.cam,
            kind=kind,
            context=_long_context(acme.tenant),
            url="/portal/",
        )
        notification.refresh_from_db()
    assert 0 < len(notification.title) <= LIMIT
    assert notification.email_subject == notification.title
    assert "\n" not in notification.title
    names = (PARTNER, PERSON_FIRST, STAGE, ACTION, RULE, PIPELINE)
    if not any(name in notification.title for name in names):
        return  # a title with no name in it (e.g. "Onboarding complete")
    # A name was cut or fits whole; when cut, the title says so.
    if len(notification.title) == LIMIT or notification.title.endswith("…"):
        assert notification.title.endswith("…")


def test_the_titles_that_hold_two_long_names_are_cut_with_an_ellipsis(acme):
    cut = []
    for kind in _kinds():
        with scope(tenant=acme.tenant):
            n = notification_create(
                tenant=acme.tenant,
                recipient=acme.cam,
                kind=kind,
                context=_long_context(acme.tenant),
                email=False,
            )
        if n.title.endswith("…"):
            cut.append(kind)
            assert len(n.title) <= LIMIT
    assert "application_team_request" in cut  # "{applicant} asked to join {partner}"


def test_truncate_title_keeps_a_short_title_and_cuts_a_long_one():
    assert truncate_title("Short title") == "Short title"
    title = truncate_title("Word " * 100)
    assert len(title) <= LIMIT and title.endswith("…")
    assert truncate_title("a\nb\r\nc") == "a b c"


# --- Real service paths -------------------------------------------------------------------


def test_a_200_character_applicant_and_partner_through_the_team_request(acme):
    with scope(tenant=acme.tenant):
        acme.partner.name = PARTNER
        acme.partner.save(update_fields=["name"])
    configure(acme, domain_matching=True)
    result = apply_and_confirm(
        acme, "newbie@one.acme.test", first=PERSON_FIRST, last=PERSON_LAST, company=PARTNER
    )
    app = reload(acme, result.decision.application)
    assert app.rule == DecisionRule.DOMAIN_MATCHED
    with scope(tenant=acme.tenant):
        note = Notification.objects.get(kind="application_team_request")
    assert len(note.title) <= LIMIT and note.title.endswith("…")
    assert note.title.startswith(PERSON_FIRST.strip()[:50])


def test_a_200_character_partner_assigned_to_a_cam(acme):
    with scope(tenant=acme.tenant):
        account = partner_account_create(
            tenant=acme.tenant,
            actor=acme.admin,
            name=PARTNER,
            partner_type=reseller(acme),
            cam=acme.cam,
        )
        note = Notification.objects.filter(kind="partner_assigned", recipient=acme.cam).latest("pk")
    assert account.name == PARTNER.strip()
    assert len(note.title) <= LIMIT
    assert note.title.startswith(PARTNER[:100])


def test_a_200_character_stage_through_stage_moved(acme):
    from tests.onboarding.factories import DEFAULT_SPEC, build_pipeline

    spec = [
        (_long(f"{i}{name}"), [(_long(title), kind, approval) for title, kind, approval in acts])
        for i, (name, acts) in enumerate(DEFAULT_SPEC)
    ]
    build_pipeline(acme, stages_spec=spec)
    with scope(tenant=acme.tenant):
        from apps.onboarding.services.enrollment import partner_enroll

        partner_enroll(tenant=acme.tenant, actor=acme.admin, account=acme.other_partner)
        notes = list(Notification.objects.filter(kind__in=["onboarding_welcome", "stage_moved"]))
    for note in notes:
        assert len(note.title) <= LIMIT
