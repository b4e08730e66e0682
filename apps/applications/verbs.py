"""The applications app's audit verbs, with their wording on the program's timeline and,
for an application's own verbs, on the application's history (its detail page)."""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb, wording

APPLICATION_RECEIVED = audit_verb(
    "application.received",
    _("Application received <strong>{target}</strong>"),
    history=wording(
        _("Applied through the public form"),
        when={"source=invited": _("Applied from an invitation")},
    ),
)
APPLICATION_UPDATED = audit_verb(
    "application.updated",
    _("Application updated <strong>{target}</strong>"),
    history=wording(_("Sent the application again (it replaced the unconfirmed one)")),
)
APPLICATION_CONFIRMED = audit_verb(
    "application.confirmed",
    _("Application confirmed <strong>{target}</strong>"),
    history=wording(
        _("Confirmed their email address"),
        when={"by=invitation": _("Confirmed their email address (through the invitation link)")},
    ),
)
APPLICATION_QUEUED = audit_verb(
    "application.queued",
    _("Application queued <strong>{target}</strong>"),
    history=wording(
        _("Sent to review: {rule}"),
        when={
            "rule=domain_matched": _(
                "Sent to review: the email domain belongs to <strong>{matched}</strong>"
            ),
            "rule=public_domain": _("Sent to review: a public mail address"),
            "rule=manual": _("Sent to review: every application is reviewed"),
        },
        clauses={"note": _(". {note}")},
    ),
)
APPLICATION_APPROVED = audit_verb(
    "application.approved",
    _("Application approved <strong>{target}</strong>"),
    history=wording(
        _("Approved as a new partner: <strong>{partner}</strong> ({type})"),
        clauses={"cam": _(", channel manager {cam}"), "pipeline": _(", enrolled in {pipeline}")},
    ),
)
APPLICATION_ADDED = audit_verb(
    "application.added",
    _("Application added <strong>{target}</strong>"),
    history=wording(
        _("Added to <strong>{partner}</strong>"),
        when={"via=portal": _("Added to <strong>{partner}</strong> by the partner’s admin")},
    ),
)
APPLICATION_REJECTED = audit_verb(
    "application.rejected",
    _("Application rejected <strong>{target}</strong>"),
    history=wording(
        _("Rejected"),
        clauses={"reason": _(": “{reason}”"), "emailed": _(" — the applicant was emailed")},
    ),
)
APPLICATION_DECLINED = audit_verb(
    "application.declined",
    _("Application declined <strong>{target}</strong>"),
    history=wording(
        _("Declined for <strong>{partner}</strong>"),
        when={"reason": _("Declined for <strong>{partner}</strong>: “{reason}”")},
    ),
)
INVITATION_SENT = audit_verb("invitation.sent", _("Invitation sent <strong>{target}</strong>"))
INVITATION_RESENT = audit_verb(
    "invitation.resent", _("Invitation resent <strong>{target}</strong>")
)
INVITATION_REVOKED = audit_verb(
    "invitation.revoked", _("Invitation revoked <strong>{target}</strong>")
)
INVITATION_ACCEPTED = audit_verb(
    "invitation.accepted", _("Invitation accepted <strong>{target}</strong>")
)
SETTINGS_CHANGED = audit_verb(
    "applications.settings_changed", _("Applications settings changed <strong>{target}</strong>")
)


# The verbs the applicant's own steps record: the history names the applicant as their actor.
APPLICANT_VERBS = frozenset({APPLICATION_RECEIVED, APPLICATION_UPDATED, APPLICATION_CONFIRMED})

# A partner account's users, managed by its partner admins (/portal/team/) and by the
# program's staff (the console's partner page). Each wording says the before and the after.
_NO_ADMIN_LEFT = _(" — the account has no active partner admin now")
TEAM_MEMBER_INVITED = audit_verb(
    "team.member_invited",
    _("Invited {user} to <strong>{target}</strong>"),
    when={"from=removed": _("Invited {user} back to <strong>{target}</strong> (removed → active)")},
    clauses={
        "to=partner_admin": _(" as partner admin"),
        "to=partner_user": _(" as partner user"),
        "outside_domains": _(", an address outside the account’s domains"),
    },
)
TEAM_MEMBER_ROLE_CHANGED = audit_verb(
    "team.member_role_changed",
    _("Changed {user}’s role in <strong>{target}</strong>: {from} → {to}"),
    when={
        "to=partner_admin": _(
            "Changed {user}’s role in <strong>{target}</strong>: partner user → partner admin"
        ),
        "to=partner_user": _(
            "Changed {user}’s role in <strong>{target}</strong>: partner admin → partner user"
        ),
    },
    clauses={"no_admin_left": _NO_ADMIN_LEFT},
)
TEAM_MEMBER_REMOVED = audit_verb(
    "team.member_removed",
    _("Removed {user} from <strong>{target}</strong> (active → removed)"),
    clauses={"no_admin_left": _NO_ADMIN_LEFT},
)
TEAM_MEMBER_REACTIVATED = audit_verb(
    "team.member_reactivated",
    _("Reactivated {user} in <strong>{target}</strong> (removed → active)"),
)
TEAM_INVITATION_RESENT = audit_verb(
    "team.invitation_resent", _("Sent {user} a new invitation to <strong>{target}</strong>")
)
