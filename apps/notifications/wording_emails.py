"""The table of every email a program sends (`ENTRIES`): its label, when it is sent and to
whom, its default subject and intro, the variables they may use, and its templates; with the
audiences and the variables several emails share. It registers the entries in `wording.py`
(the registry and its builders), which imports it, so importing the registry fills it.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.notifications.wording import (
    Email,
    Variable,
    application_email,
    count_phrase,
    home_email,
    inviter_variable,
    notification_email,
    program_message_variable,
    register,
    resolve,
)

PARTNERS = _("Partners")
APPLICANTS = _("Applicants")
STAFF = _("Program staff")


# --- Variables shared by several emails ----------------------------------------------------

PROGRAM = Variable("program_name", _("The program’s name"), "tenant.name")
LINK = Variable("link", _("The address the email’s button opens"), "url")
RECIPIENT_FIRST = Variable(
    "first_name", _("The recipient’s first name (or email address)"), "recipient.get_short_name"
)
USER_FIRST = Variable("first_name", _("The recipient’s first name"), "user.first_name")
APPLICANT_FIRST = Variable("first_name", _("The applicant’s first name"), "application.first_name")
COMPANY = Variable("company", _("The company named in the application"), "application.company")
VALID_DAYS = Variable("valid_days", _("How many days the link stays valid"), "valid_days")
ACTION = Variable("action_title", _("The onboarding action’s title"), "action.title")
PIPELINE = Variable("pipeline_name", _("The onboarding pipeline’s name"), "pipeline.name")
PARTNER = Variable("partner_name", _("The partner account’s name"), "partner.name")
ACCOUNT = Variable("partner_name", _("The partner account’s name"), "account.name")
JOINED = Variable(
    "partner_name", _("The partner account’s name"), "application.partner_account.name"
)
ASSIGNED_BY = Variable("assigned_by", _("Who made the assignment"), "actor_name")
APPROVAL_MESSAGE = program_message_variable("approval_intro")


_APP_SETTINGS_NOTE = _(
    "{program_message} is the message written in Application settings; leave it out to send "
    "only the text here."
)


ENTRIES = (
    # Applicants
    application_email(
        "confirm",
        label=_("Confirm your application"),
        sent_when=_("Someone applies on /apply/: a link to confirm their email address."),
        audience=APPLICANTS,
        subject=_("Confirm your application to {program_name}"),
        intro=_(
            "{program_message}\n\nPlease confirm your email address for {company}’s "
            "application. The link is valid for {valid_days} days."
        ),
        variables=(
            APPLICANT_FIRST,
            COMPANY,
            PROGRAM,
            VALID_DAYS,
            program_message_variable("confirmation_intro"),
            LINK,
        ),
        note=_APP_SETTINGS_NOTE,
    ),
    application_email(
        "already_pending",
        label=_("Application already under review"),
        sent_when=_("Someone applies again while their application is still pending."),
        audience=APPLICANTS,
        subject=_("We already have your application to {program_name}"),
        intro=_(
            "Someone (probably you) just applied again with this address. We already have "
            "your application for {company}, and it is being reviewed: there is nothing more "
            "to do.\n\nWe’ll email you as soon as there is a decision."
        ),
        variables=(APPLICANT_FIRST, COMPANY, PROGRAM),
    ),
    application_email(
        "already_member",
        label=_("Already a member"),
        sent_when=_("Someone applies with the address of a user of the program."),
        audience=APPLICANTS,
        subject=_("You already have access to {program_name}"),
        intro=_(
            "Someone (probably you) just applied to {program_name} with this address. You are "
            "already a member of the program, so there is no need to apply."
        ),
        variables=(PROGRAM, LINK),
    ),
    application_email(
        "approved",
        label=_("Application approved"),
        sent_when=_("An application is approved: the new partner admin sets a password."),
        audience=APPLICANTS,
        subject=_("Welcome to {program_name}: your partner account is ready"),
        intro=_(
            "{program_message}\n\nYour partner account {partner_name} is active, and you are "
            "its administrator."
        ),
        variables=(APPLICANT_FIRST, JOINED, PROGRAM, APPROVAL_MESSAGE, LINK),
        note=_APP_SETTINGS_NOTE,
    ),
    application_email(
        "added",
        label=_("Added to an existing partner"),
        sent_when=_("An applicant is added to their company’s existing partner account."),
        audience=APPLICANTS,
        subject=_("You’ve joined {partner_name} on {program_name}"),
        intro=_("{program_message}\n\nYou are now a user of {partner_name}’s partner account."),
        variables=(APPLICANT_FIRST, JOINED, PROGRAM, APPROVAL_MESSAGE, LINK),
        note=_APP_SETTINGS_NOTE,
    ),
    application_email(
        "rejected",
        label=_("Application rejected"),
        sent_when=_("An application is rejected. The reviewer’s note follows the intro."),
        audience=APPLICANTS,
        subject=_("Your application to {program_name}"),
        intro=_("{program_message}"),
        variables=(APPLICANT_FIRST, COMPANY, PROGRAM, program_message_variable("rejection_intro")),
        note=_APP_SETTINGS_NOTE,
    ),
    application_email(
        "declined",
        label=_("Request to join declined"),
        sent_when=_("A partner admin declines a colleague’s request to join their account."),
        audience=APPLICANTS,
        subject=_("Your request to join {partner_name}"),
        intro=_(
            "The administrator of your company’s partner account in {program_name} declined "
            "your request to join it. If you think this is a mistake, please speak to them."
        ),
        variables=(
            APPLICANT_FIRST,
            Variable(
                "partner_name",
                _("The partner account’s name"),
                lambda c: (
                    resolve(c, "application.matched_account.name")
                    or gettext("your company’s partner account")
                ),
            ),
            PROGRAM,
        ),
    ),
    application_email(
        "invitation",
        label=_("Invitation to apply"),
        sent_when=_("A channel manager invites a company to apply. Their note follows the intro."),
        audience=APPLICANTS,
        subject=_("{inviter_name} invites you to join {program_name}"),
        intro=_("{inviter_name} invites you to join {program_name} as a {partner_type} partner."),
        variables=(
            inviter_variable("invitation.invited_by"),
            PROGRAM,
            Variable(
                "partner_type", _("The partner type invited to"), "invitation.partner_type.name"
            ),
            VALID_DAYS,
            LINK,
        ),
    ),
    # Partners
    application_email(
        "team_invite",
        label=_("Added by a colleague"),
        sent_when=_("A partner admin (or the program’s staff) adds someone to a partner account."),
        audience=PARTNERS,
        subject=_("You’ve been added to {partner_name} on {program_name}"),
        intro=_("{added_by} added you to {partner_name}’s partner account on {program_name}."),
        variables=(
            USER_FIRST,
            Variable(
                "added_by",
                _("“A colleague”, or “The … team” when the program’s staff added them"),
                lambda c: (
                    gettext("The %(program)s team") % {"program": resolve(c, "tenant.name")}
                    if c.get("by_staff")
                    else gettext("A colleague")
                ),
            ),
            ACCOUNT,
            PROGRAM,
            LINK,
        ),
    ),
    Email(
        key="partners.import_invite",
        text_template="partners/emails/import_invite/body.txt",
        html_template="partners/emails/import_invite/body.html",
        label=_("Added by a partner import"),
        sent_when=_("A CSV import adds someone to a partner account (when invitations are on)."),
        audience=PARTNERS,
        subject=_("Your access to {program_name} for {partner_name}"),
        intro=_(
            "The {program_name} team added you to {partner_name}’s partner account. The "
            "partner portal is where you follow your onboarding, find sales and marketing "
            "assets and reach your channel manager."
        ),
        variables=(USER_FIRST, ACCOUNT, PROGRAM, LINK),
    ),
    notification_email(
        "stage_moved",
        label=_("Next onboarding stage"),
        sent_when=_("A partner moves on to the next stage of its onboarding."),
        audience=PARTNERS,
        subject=_("Next step: {stage_name}"),
        intro=_(
            "You have moved on to “{stage_name}” in {pipeline_name}. New actions are waiting "
            "for you in the partner portal."
        ),
        variables=(
            RECIPIENT_FIRST,
            Variable("stage_name", _("The new stage’s name"), "stage.name"),
            PIPELINE,
            PROGRAM,
            LINK,
        ),
    ),
    notification_email(
        "action_changes_requested",
        label=_("Changes requested"),
        sent_when=_("A channel manager requests changes to an action a partner submitted."),
        audience=PARTNERS,
        subject=_("Changes requested: {action_title}"),
        intro=_("Your channel manager asked for changes to “{action_title}”: {comment}"),
        variables=(
            RECIPIENT_FIRST,
            ACTION,
            Variable("comment", _("The channel manager’s comment"), "comment"),
            PROGRAM,
            LINK,
        ),
    ),
    notification_email(
        "action_invalidated",
        label=_("Action to redo"),
        sent_when=_("A channel manager invalidates a completed action. Their note follows."),
        audience=PARTNERS,
        subject=_("Please redo: {action_title}"),
        intro=_("Your channel manager needs you to complete “{action_title}” again."),
        variables=(RECIPIENT_FIRST, ACTION, PROGRAM, LINK),
    ),
    notification_email(
        "onboarding_completed",
        label=_("Onboarding completed"),
        sent_when=_("A partner completes its onboarding pipeline."),
        audience=PARTNERS,
        subject=_("Onboarding complete: welcome aboard!"),
        intro=_(
            "You have completed {pipeline_name}. Thank you for taking the time; your channel "
            "manager will be in touch about next steps."
        ),
        variables=(RECIPIENT_FIRST, PIPELINE, PROGRAM, LINK),
    ),
    notification_email(
        "application_team_request",
        label=_("Colleague asks to join"),
        sent_when=_("Someone applies with an address at a partner’s company (to its admins)."),
        audience=PARTNERS,
        subject=_("{applicant_name} asked to join {partner_name}"),
        intro=_(
            "{applicant_name} ({applicant_email}) applied to {program_name} with an address at "
            "your company. You can add them to {partner_name}’s team, or decline the request."
        ),
        variables=(
            RECIPIENT_FIRST,
            Variable("applicant_name", _("The applicant’s full name"), "application.full_name"),
            Variable("applicant_email", _("The applicant’s email address"), "application.email"),
            ACCOUNT,
            PROGRAM,
            LINK,
        ),
    ),
    notification_email(
        "onboarding_welcome",
        label=_("Onboarding welcome"),
        sent_when=_(
            "A partner is enrolled in a pipeline whose welcome email is on: the first stage’s "
            "actions, each with its link."
        ),
        audience=PARTNERS,
        subject=_("Your onboarding with {program_name} starts: {stage_name}"),
        intro=_(
            "Welcome to {pipeline_name}! Your onboarding starts with “{stage_name}”. Here "
            "is what to do first:"
        ),
        variables=(
            RECIPIENT_FIRST,
            Variable("stage_name", _("The first stage’s name"), "stage.name"),
            PIPELINE,
            PROGRAM,
            LINK,
        ),
    ),
    notification_email(
        "onboarding_reminder",
        label=_("Onboarding reminder"),
        sent_when=_(
            "On the pipeline’s reminder days, to partner users with open actions: at most one "
            "email a day, listing each open action with its link and an unsubscribe link."
        ),
        audience=PARTNERS,
        subject=_("Reminder: {actions} waiting for you"),
        intro=_("A quick reminder: these onboarding actions are still open in {pipeline_name}."),
        variables=(
            RECIPIENT_FIRST,
            Variable(
                "actions",
                _("How many open actions, e.g. “2 onboarding actions”"),
                count_phrase(
                    "%(count)d onboarding action", "%(count)d onboarding actions", "open_actions"
                ),
            ),
            PIPELINE,
            PROGRAM,
            LINK,
        ),
    ),
    # Staff
    notification_email(
        "approvals_digest",
        label=_("Actions waiting for approval"),
        sent_when=_("A channel manager’s digest of actions partners submitted for review."),
        audience=STAFF,
        subject=_("{actions} waiting for your approval"),
        intro=_("Partners submitted these actions for your review:"),
        variables=(
            RECIPIENT_FIRST,
            Variable(
                "actions",
                _("How many actions, e.g. “3 actions”"),
                count_phrase("%(count)d action", "%(count)d actions", "waiting"),
            ),
            PROGRAM,
            LINK,
        ),
    ),
    notification_email(
        "milestone_alert_digest",
        label=_("Daily milestone alerts"),
        sent_when=_("A channel manager’s daily digest of their partners’ open alerts."),
        audience=STAFF,
        subject=_("{alerts} on {partners}"),
        intro=_(
            "These partners have missed onboarding milestones. Each alert resolves by itself "
            "once the milestone is done."
        ),
        variables=(
            RECIPIENT_FIRST,
            Variable(
                "alerts",
                _("How many open alerts, e.g. “4 open alerts”"),
                count_phrase("%(count)d open alert", "%(count)d open alerts", "alerts"),
            ),
            Variable(
                "partners",
                _("How many partners, e.g. “2 partners”"),
                count_phrase("%(count)d partner", "%(count)d partners", "partners"),
            ),
            PROGRAM,
            LINK,
        ),
    ),
    notification_email(
        "partner_assigned",
        label=_("Partner assigned"),
        sent_when=_("A partner is assigned to a channel manager."),
        audience=STAFF,
        subject=_("{partner_name} is now one of your partners"),
        intro=_(
            "{assigned_by} assigned {partner_name} ({partner_type}) to you as channel manager."
        ),
        variables=(
            RECIPIENT_FIRST,
            PARTNER,
            Variable("partner_type", _("The partner’s type"), "partner.partner_type.name"),
            ASSIGNED_BY,
            PROGRAM,
            LINK,
        ),
    ),
    notification_email(
        "partners_assigned",
        label=_("Several partners assigned"),
        sent_when=_("Several partners are assigned to a channel manager at once."),
        audience=STAFF,
        subject=_("{count} partners are now yours"),
        intro=_("{assigned_by} assigned {count} partners to you as channel manager:"),
        variables=(
            RECIPIENT_FIRST,
            Variable("count", _("How many partners"), "count"),
            ASSIGNED_BY,
            PROGRAM,
            LINK,
        ),
    ),
    home_email(
        "staff_invitation",
        label=_("Staff invitation"),
        sent_when=_("A program admin invites a colleague to the staff (or sends it again)."),
        audience=STAFF,
        subject=_("You are invited to the staff of {program_name}"),
        intro=_("{inviter_name} invited you to the partner program {program_name} as {role}."),
        variables=(
            USER_FIRST,
            inviter_variable("inviter"),
            Variable("role", _("The staff role, e.g. Channel manager"), "role"),
            PROGRAM,
            LINK,
        ),
    ),
    home_email(
        "program_admin",
        label=_("New program’s administrator"),
        sent_when=_("The program is created: its first program admin sets a password."),
        audience=STAFF,
        subject=_("You are the administrator of {program_name} on Onramp"),
        intro=_("The partner program {program_name} is ready, and you are its program admin."),
        variables=(USER_FIRST, PROGRAM, LINK),
    ),
)

register(*ENTRIES)
