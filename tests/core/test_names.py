"""Issue 14 point 6: names and titles are one line of visible text. The shared validator
(apps/core/text.py) on every name field, refused with a clear message and nothing saved."""

import pytest
from django import forms
from django_scopes import scope

from apps.api.forms import ApiKeyForm
from apps.applications.forms_team import TeamInviteForm
from apps.applications.models import Application
from apps.content.forms import ArticleForm
from apps.core.text import (
    SINGLE_LINE_MESSAGE,
    has_control_characters,
    single_line_validator,
    truncate,
)
from apps.home.forms_settings import ProgramSettingsForm
from apps.home.forms_team import StaffInviteForm
from apps.milestones.forms_tracks import MilestoneAddForm, MilestoneForm, RuleAddForm, RuleForm
from apps.onboarding.forms_pipelines import ActionForm, PipelineForm, StageForm
from apps.partners.forms_profile import PartnerProfileForm
from apps.partners.forms_types import PartnerTierNameForm, PartnerTypeNameForm
from apps.partners.models import PartnerAccount, PartnerType
from tests.applications.conftest import reseller

BAD = [
    "Acme\nEvil",
    "Acme\rEvil",
    "Acme\tCorp",
    "Acme\x00",
    "Acme\x1b[31m",
    "Acme\u202eevil",  # right-to-left override: the name reads backwards
    "Acme\u200bCorp",  # zero-width space
    "Acme\u2028Corp",  # line separator
    "Acme\ufeff",
]
GOOD = [
    "Acme GmbH",
    "Société Générale",
    "株式会社アクメ",
    "O’Brien & Sons",
    "Zoë-Ann  Smith",
    "🚀 Rocket",
]


@pytest.mark.parametrize("value", BAD)
def test_the_validator_refuses_control_characters(value):
    assert has_control_characters(value)
    with pytest.raises(forms.ValidationError) as exc:
        single_line_validator(value)
    assert exc.value.code == "single_line"


@pytest.mark.parametrize("value", GOOD)
def test_the_validator_accepts_names_in_any_script(value):
    assert not has_control_characters(value)
    single_line_validator(value)


def test_truncate():
    assert truncate("abc", 3) == "abc"
    assert truncate("abcd", 3) == "ab…"
    assert truncate("one two three four", 16) == "one two three…"
    assert truncate("x" * 500, 300) == "x" * 299 + "…"


# Every name/title field of the forms: (form class, field, extra kwargs).
NAME_FIELDS = [
    (ApiKeyForm, "name", {}),
    (TeamInviteForm, "first_name", {}),
    (TeamInviteForm, "last_name", {}),
    (StaffInviteForm, "first_name", {}),
    (StaffInviteForm, "last_name", {}),
    (ArticleForm, "title", {}),
    (ProgramSettingsForm, "name", {}),
    (MilestoneForm, "name", {}),
    (MilestoneForm, "responsible", {}),
    (MilestoneAddForm, "name", {}),
    (RuleForm, "label", {}),
    (RuleAddForm, "label", {}),
    (PipelineForm, "name", {}),
    (StageForm, "name", {}),
    (ActionForm, "title", {}),
    (PartnerTypeNameForm, "name", {}),
    (PartnerTierNameForm, "name", {}),
]


@pytest.mark.parametrize(("form_class", "field", "kwargs"), NAME_FIELDS)
def test_every_name_field_has_the_shared_validator(form_class, field, kwargs):
    assert single_line_validator in form_class.base_fields[field].validators


@pytest.mark.parametrize("field", ["name"])
@pytest.mark.parametrize("form_class", [PartnerTypeNameForm, PartnerTierNameForm, StageForm])
def test_a_name_form_refuses_a_control_character_with_the_message(form_class, field):
    form = form_class(data={field: "Gold\u202e dlo"})
    assert not form.is_valid()
    assert form.errors[field] == [str(SINGLE_LINE_MESSAGE)]


@pytest.mark.django_db
def test_profile_names_refuse_control_characters(acme):
    from apps.partners.models import PartnerProfile

    form = PartnerProfileForm(
        data={"company_name": "Acme\u200bCorp", "display_name": "Fine", "country": ""},
        instance=PartnerProfile(),
    )
    assert not form.is_valid()
    assert "company_name" in form.errors and "display_name" not in form.errors


# --- Through the pages: refused, nothing saved ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["Evil\nCorp", "Evil\u202eCorp"])
@pytest.mark.parametrize("field", ["company", "first_name", "last_name"])
def test_apply_refuses_control_characters_in_names(acme, client_for, mailoutbox, field, value):
    data = {
        "company": "Initech",
        "first_name": "Peter",
        "last_name": "Gibbons",
        "email": "peter@initech.example",
        "partner_type": reseller(acme).pk,
        field: value,
    }
    response = client_for(acme).post("/apply/", data)
    assert response.status_code == 422
    assert "invisible control characters are not allowed" in response.content.decode()
    with scope(tenant=acme.tenant):
        assert not Application.objects.filter(tenant=acme.tenant).exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_partner_type_settings_refuse_a_control_character(acme, client_for):
    with scope(tenant=acme.tenant):
        before = PartnerType.objects.filter(tenant=acme.tenant).count()
    response = client_for(acme, acme.admin).post(
        "/console/settings/partner-types/", {"name": "Cloud\nReseller"}
    )
    assert response.status_code in (200, 302, 422)
    with scope(tenant=acme.tenant):
        assert PartnerType.objects.filter(tenant=acme.tenant).count() == before


@pytest.mark.django_db
def test_adding_a_partner_refuses_a_control_character(acme, client_for):
    with scope(tenant=acme.tenant):
        before = PartnerAccount.objects.filter(tenant=acme.tenant).count()
    response = client_for(acme, acme.admin).post(
        "/console/partners/new/",
        {"name": "Evil\u202eCorp", "partner_type": reseller(acme).pk, "tier": "registered"},
    )
    assert response.status_code == 422
    assert "invisible control characters" in response.content.decode()
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.filter(tenant=acme.tenant).count() == before
