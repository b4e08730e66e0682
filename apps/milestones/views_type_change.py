"""Confirm what a partner's new type changes: its onboarding pipeline and its milestone track.

After a type change is saved on the edit page (`views_edit.partner_edit`), staff land here
when the new type's pipeline or track is not the partner's: the page shows the current and
the proposed pipeline and track, what stays in the history, and lets them **Move to
pipeline …**, **Switch milestone track**, or **Keep current** (issue 10, point 3).

It composes the onboarding and milestones services, so it lives in milestones, the higher of
the two layers; the partners edit view (a lower layer) only redirects here by URL name after
any type change, and this page sends staff straight on to the partner when it has nothing to
offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.milestones.selectors.timeline import partner_track_for
from apps.milestones.selectors.tracks import (
    TrackSwitchPreview,
    track_for_partner_type,
    track_switch_preview,
)
from apps.milestones.services import MilestoneError, partner_track_switch
from apps.onboarding.selectors import enrollment_counts, enrollment_for_partner
from apps.onboarding.selectors_pipelines import pipeline_for_partner_type
from apps.onboarding.services import InvalidTransition, OnboardingError, partner_reenroll
from apps.partners.access import PartnerRequest, console_partner_view

if TYPE_CHECKING:
    from apps.milestones.models import PartnerTrack, Track
    from apps.onboarding.models import Enrollment, Pipeline
    from apps.partners.models import PartnerAccount
    from apps.tenancy.models import Tenant


@dataclass
class TypeChangeProposal:
    """The partner's pipeline and track now, and those of its (new) type."""

    enrollment: Enrollment | None
    counts: dict[str, int] | None  # done / total actions of the current enrollment
    pipeline: Pipeline | None  # the type's pipeline
    partner_track: PartnerTrack | None
    track: Track | None  # the type's track
    preview: TrackSwitchPreview | None

    @property
    def pipeline_differs(self) -> bool:
        """The partner is enrolled, and its type starts another pipeline: a move is offered."""
        return (
            self.enrollment is not None
            and self.pipeline is not None
            and self.enrollment.pipeline_id != self.pipeline.pk
        )

    @property
    def track_differs(self) -> bool:
        """The partner is tracked, and its type has another track: a switch is offered."""
        return (
            self.partner_track is not None
            and self.track is not None
            and self.partner_track.track_id != self.track.pk
        )

    @property
    def no_pipeline(self) -> bool:
        """The partner is enrolled, but its type starts no pipeline."""
        return self.enrollment is not None and self.pipeline is None

    @property
    def no_track(self) -> bool:
        """The partner is tracked, but its type has no track."""
        return self.partner_track is not None and self.track is None

    @property
    def offers(self) -> bool:
        return self.pipeline_differs or self.track_differs

    @property
    def worth_showing(self) -> bool:
        """Whether the page has anything to say after a type change."""
        return self.offers or self.no_pipeline or self.no_track


def type_change_proposal(*, tenant: Tenant, account: PartnerAccount) -> TypeChangeProposal:
    enrollment = enrollment_for_partner(tenant=tenant, partner_account_id=account.pk)
    partner_track = partner_track_for(tenant=tenant, account_id=account.pk)
    track = track_for_partner_type(tenant=tenant, partner_type_id=account.partner_type_id)
    preview = None
    if partner_track is not None and track is not None and partner_track.track_id != track.pk:
        preview = track_switch_preview(tenant=tenant, partner_track=partner_track, track=track)
    return TypeChangeProposal(
        enrollment=enrollment,
        counts=enrollment_counts(tenant=tenant, enrollment=enrollment) if enrollment else None,
        pipeline=pipeline_for_partner_type(tenant=tenant, partner_type_id=account.partner_type_id),
        partner_track=partner_track,
        track=track,
        preview=preview,
    )


def _posted_id(request: PartnerRequest, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def _apply(
    request: PartnerRequest, proposal: TypeChangeProposal, *, move: bool, switch: bool
) -> list[str]:
    """Run the chosen changes, all or nothing; returns the success messages."""
    account = request.partner_account
    done: list[str] = []
    with transaction.atomic():
        if move:
            assert proposal.pipeline is not None
            partner_reenroll(
                tenant=request.tenant,
                actor=request.user,
                account_id=account.pk,
                pipeline_id=proposal.pipeline.pk,
            )
            done.append(
                _("%(name)s moved to the pipeline “%(pipeline)s”.")
                % {"name": account.name, "pipeline": proposal.pipeline.name}
            )
        if switch:
            assert proposal.track is not None
            partner_track_switch(
                tenant=request.tenant,
                actor=request.user,
                account_id=account.pk,
                track_id=proposal.track.pk,
            )
            done.append(
                _("%(name)s is now on the %(track)s milestone track.")
                % {"name": account.name, "track": proposal.track.partner_type.name}
            )
    return done


@console_partner_view
def partner_type_change(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    proposal = type_change_proposal(tenant=request.tenant, account=account)
    status = 200
    error = ""
    if request.method == "GET" and not proposal.worth_showing:
        # Reached after any type change: nothing to offer, on to the partner.
        return redirect("partners:detail", partner_id=account.pk)
    if request.method == "POST":
        if "keep" in request.POST or not proposal.offers:
            messages.info(
                request,
                _("%(name)s keeps its current pipeline and milestone track.")
                % {"name": account.name},
            )
            return redirect("partners:detail", partner_id=account.pk)
        asked_move, asked_switch = "move_pipeline" in request.POST, "switch_track" in request.POST
        move = asked_move and proposal.pipeline_differs
        switch = asked_switch and proposal.track_differs
        # The page carries what it showed: a proposal that changed since is not applied.
        stale = (
            move
            and proposal.pipeline is not None
            and _posted_id(request, "pipeline") != proposal.pipeline.pk
        ) or (
            switch
            and proposal.track is not None
            and _posted_id(request, "track") != proposal.track.pk
        )
        if stale:
            error, status = (
                _(
                    "The partner’s type, pipeline or track changed after you opened this page. "
                    "Nothing was changed: review the proposal again."
                ),
                409,
            )
        elif not (asked_move or asked_switch):
            error, status = (
                _("Tick what to change, or choose Keep current."),
                422,
            )
        elif not (move or switch):
            # Asked for, and already done (a second click, or someone else was quicker).
            messages.info(request, _("Nothing left to change: this was already done."))
            return redirect("partners:detail", partner_id=account.pk)
        else:
            try:
                done = _apply(request, proposal, move=move, switch=switch)
            except (OnboardingError, InvalidTransition, MilestoneError) as exc:
                error, status = str(exc), 409
                proposal = type_change_proposal(tenant=request.tenant, account=account)
            else:
                for message in done:
                    messages.success(request, message)
                return redirect("partners:detail", partner_id=account.pk)
    context: dict[str, Any] = {
        "nav": "partners",
        "tab": "overview",
        "account": account,
        "proposal": proposal,
        "error": error,
    }
    return render(request, "partners/type_change.html", context, status=status)
