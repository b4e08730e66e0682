"""The program's partner types and tiers: the services (apps/partners/services/catalog.py)
and the catalogue every picker reads (apps/partners/catalog.py)."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.partners import catalog
from apps.partners.models import PartnerAccount, PartnerTier, PartnerType
from apps.partners.services import (
    CatalogNameTaken,
    PartnerError,
    partner_account_create,
    partner_tier_archive,
    partner_tier_create,
    partner_tier_move,
    partner_tier_rename,
    partner_tier_restore,
    partner_tiers_install_defaults,
    partner_type_archive,
    partner_type_create,
    partner_type_delete,
    partner_type_move,
    partner_type_rename,
    partner_type_restore,
    partner_type_usage,
)
from tests.conftest import in_scope, race
from tests.partners.factories import PartnerAccountFactory, PartnerTypeFactory
from tests.tenancy.factories import TenantFactory

pytestmark = pytest.mark.django_db


def _audit(program, verb):
    with scope(tenant=program.tenant):
        return list(
            AuditEvent.objects.filter(tenant=program.tenant, verb=verb)
            .order_by("id")
            .values_list("target_label", "data")
        )


def _type(program, name):
    return PartnerType.objects.get(tenant=program.tenant, name=name)


def _tier(program, key):
    return PartnerTier.objects.get(tenant=program.tenant, key=key)


def _state(program):
    """Every type and tier of the program, and the audit log's length: what a refusal keeps."""
    with scopes_disabled():
        return (
            list(PartnerType.objects.filter(tenant=program.tenant).order_by("pk").values()),
            list(PartnerTier.objects.filter(tenant=program.tenant).order_by("pk").values()),
            AuditEvent.objects.filter(tenant=program.tenant).count(),
        )


# --- Installation -----------------------------------------------------------------------------


def test_a_new_program_gets_the_four_default_tiers(acme, unscoped):
    tiers = list(
        PartnerTier.objects.filter(tenant=acme.tenant)
        .order_by("position")
        .values_list("key", "label")
    )
    assert tiers == [
        ("registered", "Registered"),
        ("silver", "Silver"),
        ("gold", "Gold"),
        ("platinum", "Platinum"),
    ]
    assert partner_tiers_install_defaults(tenant=acme.tenant) == []  # idempotent


def test_a_program_without_its_own_tiers_is_offered_the_default_set(unscoped):
    tenant = TenantFactory()
    assert catalog.tier_choices(tenant=tenant) == [
        ("registered", "Registered"),
        ("silver", "Silver"),
        ("gold", "Gold"),
        ("platinum", "Platinum"),
    ]


# --- Partner types ----------------------------------------------------------------------------


def test_admin_adds_a_type_at_the_end_and_it_is_audited(acme):
    with scope(tenant=acme.tenant):
        created = partner_type_create(
            tenant=acme.tenant, actor=acme.admin, name="  Cloud   Reseller "
        )
        assert created.name == "Cloud Reseller"
        names = [t.name for t in catalog.partner_types_offered(tenant=acme.tenant)]
    assert names[-1] == "Cloud Reseller"
    assert _audit(acme, "partner_type.created") == [
        ("Cloud Reseller", {"from": None, "to": {"name": "Cloud Reseller", "position": 6}})
    ]


@pytest.mark.parametrize("name", ["distributor", "DISTRIBUTOR", " Distributor "])
def test_a_duplicate_name_is_refused_whatever_its_case(acme, name):
    before = _state(acme)
    with scope(tenant=acme.tenant), pytest.raises(CatalogNameTaken, match="already has"):
        partner_type_create(tenant=acme.tenant, actor=acme.admin, name=name)
    assert _state(acme) == before


def test_a_name_of_an_archived_type_is_still_taken(acme):
    with scope(tenant=acme.tenant):
        partner_type_archive(
            tenant=acme.tenant, actor=acme.admin, type_id=_type(acme, "Distributor").pk
        )
        with pytest.raises(CatalogNameTaken):
            partner_type_create(tenant=acme.tenant, actor=acme.admin, name="distributor")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_blank_or_long_name_is_refused(acme, name):
    before = _state(acme)
    with scope(tenant=acme.tenant), pytest.raises(PartnerError):
        partner_type_create(tenant=acme.tenant, actor=acme.admin, name=name)
    assert _state(acme) == before


def test_rename_keeps_the_accounts_and_records_before_and_after(acme):
    with scope(tenant=acme.tenant):
        reseller = _type(acme, "Reseller / VAR")
        partner_type_rename(
            tenant=acme.tenant, actor=acme.admin, type_id=reseller.pk, name="Value-Added Reseller"
        )
        account = PartnerAccount.objects.select_related("partner_type").get(pk=acme.partner.pk)
    assert account.partner_type.name == "Value-Added Reseller"
    label, data = _audit(acme, "partner_type.renamed")[0]
    assert label == "Value-Added Reseller"
    assert data["from"] == {"name": "Reseller / VAR"}
    assert data["to"] == {"name": "Value-Added Reseller"}


def test_rename_to_another_types_name_is_refused_but_a_case_change_is_fine(acme):
    with scope(tenant=acme.tenant):
        msp = _type(acme, "Managed Service Provider")
        with pytest.raises(CatalogNameTaken, match="Distributor"):
            partner_type_rename(
                tenant=acme.tenant, actor=acme.admin, type_id=msp.pk, name="distributor"
            )
        partner_type_rename(
            tenant=acme.tenant, actor=acme.admin, type_id=msp.pk, name="managed service provider"
        )
        assert PartnerType.objects.get(pk=msp.pk).name == "managed service provider"


def test_archived_type_leaves_the_pickers_but_accounts_keep_it_and_restore_brings_it_back(acme):
    with scope(tenant=acme.tenant):
        reseller = _type(acme, "Reseller / VAR")
        partner_type_archive(tenant=acme.tenant, actor=acme.admin, type_id=reseller.pk)
        offered = list(catalog.partner_types_offered(tenant=acme.tenant))
        assert reseller not in offered
        assert reseller in catalog.partner_types_offered(tenant=acme.tenant, keep=reseller.pk)
        assert PartnerAccount.objects.get(pk=acme.partner.pk).partner_type_id == reseller.pk
        with pytest.raises(PartnerError, match="already archived"):
            partner_type_archive(tenant=acme.tenant, actor=acme.admin, type_id=reseller.pk)
        partner_type_restore(tenant=acme.tenant, actor=acme.admin, type_id=reseller.pk)
        assert reseller in catalog.partner_types_offered(tenant=acme.tenant)
    assert [d for _, d in _audit(acme, "partner_type.archived")] == [
        {"from": {"archived": False}, "to": {"archived": True}}
    ]
    assert [d for _, d in _audit(acme, "partner_type.restored")] == [
        {"from": {"archived": True}, "to": {"archived": False}}
    ]


def test_the_last_active_type_cannot_be_archived(unscoped):
    from apps.home.services import staff_member_add
    from apps.tenancy.models import Role

    tenant = TenantFactory()
    with scope(tenant=tenant):
        admin = staff_member_add(
            tenant=tenant, actor=None, email="a@x.test", role=Role.PROGRAM_ADMIN
        ).user
        only = partner_type_create(tenant=tenant, actor=admin, name="Only")
        with pytest.raises(PartnerError, match="only active partner type"):
            partner_type_archive(tenant=tenant, actor=admin, type_id=only.pk)


def test_an_unused_type_is_deleted_and_audited(acme):
    with scope(tenant=acme.tenant):
        fresh = partner_type_create(tenant=acme.tenant, actor=acme.admin, name="Fresh")
        partner_type_delete(tenant=acme.tenant, actor=acme.admin, type_id=fresh.pk)
        assert not PartnerType.objects.filter(pk=fresh.pk).exists()
    assert _audit(acme, "partner_type.deleted") == [
        ("Fresh", {"from": {"name": "Fresh"}, "to": None})
    ]


def test_a_type_with_accounts_cannot_be_deleted_and_the_message_says_why(acme):
    before = _state(acme)
    with scope(tenant=acme.tenant):
        reseller = _type(acme, "Reseller / VAR")
        with pytest.raises(PartnerError) as refused:
            partner_type_delete(tenant=acme.tenant, actor=acme.admin, type_id=reseller.pk)
    message = str(refused.value)
    assert "2 partner accounts" in message and "Archive it instead" in message
    assert _state(acme) == before


@pytest.mark.usefixtures("milestone_template")
def test_a_type_with_only_a_pipeline_or_a_track_cannot_be_deleted(acme):
    with scope(tenant=acme.tenant):
        msp = _type(acme, "Managed Service Provider")
        assert not PartnerAccount.objects.filter(partner_type=msp).exists()
        usage = partner_type_usage(tenant=acme.tenant, type_ids=[msp.pk])[msp.pk]
        assert "its milestone track" in usage
        with pytest.raises(PartnerError, match="milestone track"):
            partner_type_delete(tenant=acme.tenant, actor=acme.admin, type_id=msp.pk)
        assert PartnerType.objects.filter(pk=msp.pk).exists()


def test_a_type_with_a_pipeline_cannot_be_deleted(acme):
    from apps.onboarding.models import Pipeline, PipelineAssignment

    with scope(tenant=acme.tenant):
        fresh = partner_type_create(tenant=acme.tenant, actor=acme.admin, name="Fresh")
        pipeline = Pipeline.objects.create(tenant=acme.tenant, name="Fresh onboarding")
        PipelineAssignment.objects.create(tenant=acme.tenant, partner_type=fresh, pipeline=pipeline)
        with pytest.raises(PartnerError, match="onboarding pipeline"):
            partner_type_delete(tenant=acme.tenant, actor=acme.admin, type_id=fresh.pk)
        assert PipelineAssignment.objects.filter(partner_type=fresh).exists()


def test_every_foreign_key_to_a_type_is_checked():
    """A later layer's new reference to PartnerType is found without being named."""
    refs = {model._meta.label_lower for model, _field in catalog._type_references()}
    assert {
        "partners.partneraccount",
        "onboarding.pipelineassignment",
        "milestones.track",
        "applications.application",
        "applications.invitation",
        "content.assetaudiencetype",
    } <= refs


def test_move_swaps_with_the_neighbour_and_stops_at_the_ends(acme):
    with scope(tenant=acme.tenant):
        names = [t.name for t in catalog.partner_types_offered(tenant=acme.tenant)]
        second = _type(acme, names[1])
        partner_type_move(tenant=acme.tenant, actor=acme.admin, type_id=second.pk, direction="up")
        moved = [t.name for t in catalog.partner_types_offered(tenant=acme.tenant)]
        assert moved[:2] == [names[1], names[0]] and moved[2:] == names[2:]
        partner_type_move(tenant=acme.tenant, actor=acme.admin, type_id=second.pk, direction="up")
        assert [t.name for t in catalog.partner_types_offered(tenant=acme.tenant)] == moved
    assert [d for _, d in _audit(acme, "partner_type.moved")] == [
        {"from": {"position": 2}, "to": {"position": 1}}
    ]


# --- Tiers --------------------------------------------------------------------------------


def test_tier_add_makes_a_stable_key_from_the_label(acme):
    with scope(tenant=acme.tenant):
        diamond = partner_tier_create(tenant=acme.tenant, actor=acme.admin, label="Diamond Elite")
        assert diamond.key == "diamond-elite"
        partner_tier_rename(
            tenant=acme.tenant, actor=acme.admin, tier_id=diamond.pk, label="Diamond"
        )
        again = partner_tier_create(tenant=acme.tenant, actor=acme.admin, label="Diamond elite!")
        assert PartnerTier.objects.get(pk=diamond.pk).key == "diamond-elite"
        assert again.key == "diamond-elite-2"
        assert catalog.tier_choices(tenant=acme.tenant)[-2:] == [
            ("diamond-elite", "Diamond"),
            ("diamond-elite-2", "Diamond elite!"),
        ]


def test_tier_label_without_letters_still_gets_a_key(acme):
    with scope(tenant=acme.tenant):
        assert partner_tier_create(tenant=acme.tenant, actor=acme.admin, label="★★★").key == "tier"


def test_tier_rename_changes_the_label_only_and_accounts_keep_their_key(acme):
    with scope(tenant=acme.tenant):
        gold = _tier(acme, "gold")
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(tier="gold")
        partner_tier_rename(tenant=acme.tenant, actor=acme.admin, tier_id=gold.pk, label="Gold+")
        account = PartnerAccount.objects.get(pk=acme.partner.pk)
        assert account.tier == "gold" and account.get_tier_display() == "Gold+"
        assert catalog.tier_labels(tenant=acme.tenant)["gold"] == "Gold+"
    label, data = _audit(acme, "partner_tier.renamed")[0]
    assert (
        label == "Gold+" and data["from"] == {"label": "Gold"} and data["to"] == {"label": "Gold+"}
    )


def test_tier_duplicate_label_is_refused(acme):
    before = _state(acme)
    with scope(tenant=acme.tenant):
        with pytest.raises(CatalogNameTaken, match="tier called"):
            partner_tier_create(tenant=acme.tenant, actor=acme.admin, label="GOLD")
        with pytest.raises(CatalogNameTaken):
            partner_tier_rename(
                tenant=acme.tenant, actor=acme.admin, tier_id=_tier(acme, "silver").pk, label="gold"
            )
    assert _state(acme) == before


def test_archived_tier_leaves_the_pickers_but_keeps_its_label_for_display(acme):
    with scope(tenant=acme.tenant):
        silver = _tier(acme, "silver")
        partner_tier_archive(tenant=acme.tenant, actor=acme.admin, tier_id=silver.pk)
        assert "silver" not in dict(catalog.tier_choices(tenant=acme.tenant))
        assert dict(catalog.tier_choices(tenant=acme.tenant, keep="silver"))["silver"] == "Silver"
        assert catalog.tier_labels(tenant=acme.tenant)["silver"] == "Silver"
        assert ("silver", "Silver (archived)") in catalog.tier_filter_choices(tenant=acme.tenant)
        partner_tier_restore(tenant=acme.tenant, actor=acme.admin, tier_id=silver.pk)
        assert "silver" in dict(catalog.tier_choices(tenant=acme.tenant))
    assert len(_audit(acme, "partner_tier.archived")) == 1
    assert len(_audit(acme, "partner_tier.restored")) == 1


def test_tier_move_reorders_the_choices(acme):
    with scope(tenant=acme.tenant):
        partner_tier_move(
            tenant=acme.tenant, actor=acme.admin, tier_id=_tier(acme, "platinum").pk, direction="up"
        )
        keys = [k for k, _ in catalog.tier_choices(tenant=acme.tenant)]
    assert keys == ["registered", "silver", "platinum", "gold"]


def test_first_tier_change_of_a_program_on_the_default_set_installs_it(unscoped):
    from apps.home.services import staff_member_add
    from apps.tenancy.models import Role

    tenant = TenantFactory()
    with scope(tenant=tenant):
        admin = staff_member_add(
            tenant=tenant, actor=None, email="a@x.test", role=Role.PROGRAM_ADMIN
        ).user
        partner_tier_create(tenant=tenant, actor=admin, label="Diamond")
        keys = [k for k, _ in catalog.tier_choices(tenant=tenant)]
    assert keys == ["registered", "silver", "gold", "platinum", "diamond"]


# --- Who may, and which program -------------------------------------------------------------


def _every_change(program, actor, type_id, tier_id):
    tenant = program.tenant
    return [
        lambda: partner_type_create(tenant=tenant, actor=actor, name="New"),
        lambda: partner_type_rename(tenant=tenant, actor=actor, type_id=type_id, name="New"),
        lambda: partner_type_archive(tenant=tenant, actor=actor, type_id=type_id),
        lambda: partner_type_restore(tenant=tenant, actor=actor, type_id=type_id),
        lambda: partner_type_delete(tenant=tenant, actor=actor, type_id=type_id),
        lambda: partner_type_move(tenant=tenant, actor=actor, type_id=type_id, direction="up"),
        lambda: partner_tier_create(tenant=tenant, actor=actor, label="New"),
        lambda: partner_tier_rename(tenant=tenant, actor=actor, tier_id=tier_id, label="New"),
        lambda: partner_tier_archive(tenant=tenant, actor=actor, tier_id=tier_id),
        lambda: partner_tier_restore(tenant=tenant, actor=actor, tier_id=tier_id),
        lambda: partner_tier_move(tenant=tenant, actor=actor, tier_id=tier_id, direction="up"),
    ]


@pytest.mark.parametrize("role", ["cam", "partner_admin", "partner_user"])
def test_only_program_admins_change_the_catalogue(acme, role):
    with scope(tenant=acme.tenant):
        type_id, tier_id = _type(acme, "Distributor").pk, _tier(acme, "gold").pk
    before = _state(acme)
    for change in _every_change(acme, getattr(acme, role), type_id, tier_id):
        with scope(tenant=acme.tenant), pytest.raises(PartnerError, match="Only the program"):
            change()
    assert _state(acme) == before


def test_another_programs_admin_cannot_touch_this_programs_types_or_tiers(acme, globex):
    with scope(tenant=acme.tenant):
        type_id, tier_id = _type(acme, "Distributor").pk, _tier(acme, "gold").pk
    before = _state(acme)
    for change in _every_change(globex, globex.admin, type_id, tier_id)[1:6]:
        with scope(tenant=globex.tenant), pytest.raises(PartnerError, match="Unknown"):
            change()
    for change in _every_change(globex, globex.admin, type_id, tier_id)[7:]:
        with scope(tenant=globex.tenant), pytest.raises(PartnerError, match="Unknown"):
            change()
    assert _state(acme) == before


def test_catalogue_reads_are_per_program(acme, globex):
    with scope(tenant=acme.tenant):
        partner_tier_rename(
            tenant=acme.tenant, actor=acme.admin, tier_id=_tier(acme, "gold").pk, label="Oro"
        )
        partner_type_create(tenant=acme.tenant, actor=acme.admin, name="Acme only")
    with scope(tenant=globex.tenant):
        assert catalog.tier_labels(tenant=globex.tenant)["gold"] == "Gold"
        names = {t.name for t in catalog.partner_types_offered(tenant=globex.tenant)}
    assert "Acme only" not in names


# --- Races ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_admins_renaming_one_type_both_land_in_order_and_both_are_audited(acme):
    with scope(tenant=acme.tenant):
        second_admin = _second_admin(acme)
        type_id = _type(acme, "Distributor").pk
    results = race(
        in_scope(
            acme.tenant, partner_type_rename, actor=acme.admin, type_id=type_id, name="Distis"
        ),
        in_scope(
            acme.tenant, partner_type_rename, actor=second_admin, type_id=type_id, name="Wholesale"
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    with scope(tenant=acme.tenant):
        final = PartnerType.objects.get(pk=type_id).name
    events = _audit(acme, "partner_type.renamed")
    # Serialised by the row lock: the second rename starts from the first one's result.
    assert [d["from"]["name"] for _, d in events] == ["Distributor", events[0][1]["to"]["name"]]
    assert events[-1][1]["to"]["name"] == final


@pytest.mark.django_db(transaction=True)
def test_two_admins_giving_two_types_one_name_one_is_refused(acme):
    with scope(tenant=acme.tenant):
        second_admin = _second_admin(acme)
        first, second = _type(acme, "Distributor").pk, _type(acme, "Systems Integrator").pk
    results = race(
        in_scope(acme.tenant, partner_type_rename, actor=acme.admin, type_id=first, name="Channel"),
        in_scope(
            acme.tenant, partner_type_rename, actor=second_admin, type_id=second, name="channel"
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], CatalogNameTaken), results
    with scope(tenant=acme.tenant):
        assert PartnerType.objects.filter(tenant=acme.tenant, name__iexact="channel").count() == 1
    assert len(_audit(acme, "partner_type.renamed")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_admins_archiving_the_last_two_types_leave_one_active(unscoped):
    from apps.home.services import staff_member_add
    from apps.tenancy.models import Role

    tenant = TenantFactory()
    with scope(tenant=tenant):
        one = staff_member_add(tenant=tenant, actor=None, email="a@x.test", role=Role.PROGRAM_ADMIN)
        two = staff_member_add(tenant=tenant, actor=None, email="b@x.test", role=Role.PROGRAM_ADMIN)
        a = partner_type_create(tenant=tenant, actor=one.user, name="A")
        b = partner_type_create(tenant=tenant, actor=one.user, name="B")
    results = race(
        in_scope(tenant, partner_type_archive, actor=one.user, type_id=a.pk),
        in_scope(tenant, partner_type_archive, actor=two.user, type_id=b.pk),
    )
    assert len([r for r in results if isinstance(r, PartnerError)]) == 1, results
    with scope(tenant=tenant):
        assert PartnerType.objects.filter(tenant=tenant, archived_at__isnull=True).count() == 1


def _second_admin(program):
    from apps.home.services import staff_member_add
    from apps.tenancy.models import Role

    return staff_member_add(
        tenant=program.tenant,
        actor=None,
        email="second-admin@acme.test",
        role=Role.PROGRAM_ADMIN,
        first_name="Sam",
        last_name="Second",
    ).user


def test_a_tenant_made_by_the_factories_has_no_catalogue_rows_to_leak(unscoped):
    """Factories' bare tenants: a type of one program is never another's."""
    account = PartnerAccountFactory()
    other = PartnerTypeFactory()
    with scope(tenant=account.tenant):
        assert other not in catalog.partner_types_offered(tenant=account.tenant)


def test_account_create_with_the_default_tier(acme):
    with scope(tenant=acme.tenant):
        account = partner_account_create(
            tenant=acme.tenant,
            actor=acme.admin,
            name="Default tier",
            partner_type=_type(acme, "Distributor"),
            domains=[],
        )
    assert account.tier == "registered"
