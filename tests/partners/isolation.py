def setup(program):
    """A saved Explorer view of the program's CAM (the rename and delete routes aim at it)."""
    from django_scopes import scope

    from apps.partners.services import saved_view_create

    with scope(tenant=program.tenant):
        saved_view_create(
            tenant=program.tenant, actor=program.cam, name="Isolation", query="tier=gold"
        )


def samples(program):
    pk = program.partner.pk
    return {
        "partners:detail": {"partner_id": pk},
        "partners:suspend": {"partner_id": pk},
        "partners:reactivate": {"partner_id": pk},
        "partners:edit": {"partner_id": pk},
        **_catalogue_samples(program),
        **_saved_view_samples(program),
    }


def _saved_view_samples(program):
    from apps.partners.models import SavedView

    view = SavedView.objects.filter(tenant=program.tenant).order_by("pk").first()
    if view is None:
        return {}
    return {
        "partners:saved_view_rename": {"view_id": view.pk},
        "partners:saved_view_delete": {"view_id": view.pk},
    }


def _catalogue_samples(program):
    """The partner types and tiers settings (/console/settings/partner-types/)."""
    from apps.partners.models import PartnerTier

    type_id = program.partner.partner_type_id
    tier_id = PartnerTier.objects.get(tenant=program.tenant, key="gold").pk
    return {
        **{f"partner_types:{name}": {"type_id": type_id} for name in _TYPE_ROUTES},
        **{f"partner_types:{name}": {"tier_id": tier_id} for name in _TIER_ROUTES},
    }


_TYPE_ROUTES = ("rename", "move", "archive", "restore", "delete")
_TIER_ROUTES = ("tier_rename", "tier_move", "tier_archive", "tier_restore")
