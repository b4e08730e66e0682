"""The Users card of the console's partner page (templates/partners/detail.html): a partner
account's users with the staff's controls (apps/applications/views_partner_users.py).

The partners app renders the page but may not import this higher layer, so the card is an
inclusion tag: `{% load partner_users %}{% partner_users_card account users domains %}`, fed
with the users and domains the page has read already (no query of its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from apps.applications.forms_team import TeamInviteForm
from apps.applications.selectors_team import team_rows
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerUser

register = template.Library()


@register.inclusion_tag("applications/_partner_users_card.html", takes_context=True)
def partner_users_card(
    context: template.Context,
    account: PartnerAccount,
    users: Iterable[PartnerUser],
    domains: Iterable[PartnerDomain],
) -> dict[str, Any]:
    rows = team_rows(users)
    return {
        "account": account,
        "rows": rows,
        "active_count": sum(1 for row in rows if row.member.membership.is_active),
        "domains": [d.domain for d in domains],
        "form": TeamInviteForm(auto_id="user-invite-%s"),
        "csrf_token": context.get("csrf_token"),
    }
