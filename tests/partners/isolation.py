def samples(program):
    pk = program.partner.pk
    return {
        "partners:detail": {"partner_id": pk},
        "partners:suspend": {"partner_id": pk},
        "partners:reactivate": {"partner_id": pk},
        "partners:edit": {"partner_id": pk},
        **_catalogue_samples(program),
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
