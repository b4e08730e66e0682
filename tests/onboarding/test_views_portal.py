"""apps/onboarding/views_portal.py: the partner's journey and action pages in the portal."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from apps.onboarding.models import ActionFile, ActionProgress, ActionStatus
from apps.onboarding.services import action_complete
from tests.onboarding.conftest import PI, UP, build_pipeline

pytestmark = pytest.mark.django_db
S = ActionStatus


def _tab(acme):
    return f"/console/partners/{acme.partner.pk}/onboarding/"


def test_portal_home_shows_progress_current_stage_and_todo(acme, journey, client_for):
    response = client_for(acme, acme.partner_user).get("/portal/")
    html = response.content.decode()
    assert "Current stage: Company details" in html
    assert "0 of 4 actions done" in html
    todo = [row.action.title for row in response.context["todo"]]
    assert todo == ["Legal details", "Tax form"]


def test_provide_information_form_validates_and_submits(acme, journey, client_for):
    progress = journey.progress("Legal details")
    client = client_for(acme, acme.partner_user)
    url = f"/portal/onboarding/actions/{progress.pk}/"
    assert "Legal name" in client.get(url).content.decode()
    bad = client.post(url, {"vat_number": "x"})
    assert bad.status_code == 422
    assert journey.progress("Legal details").status == S.PENDING
    ok = client.post(url, {"legal_name": "One Ltd", "vat_number": "GB1"})
    assert ok.status_code == 302
    progress = journey.progress("Legal details")
    assert progress.status == S.WAITING_FOR_APPROVAL
    assert progress.submission == {"legal_name": "One Ltd", "vat_number": "GB1"}
    # A double submit is refused with a message, not a second transition.
    again = client.post(url, {"legal_name": "Two Ltd"}, follow=True)
    assert "can’t be completed now" in again.content.decode()
    assert journey.progress("Legal details").submission["legal_name"] == "One Ltd"


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_upload_document_stores_checked_files(acme, journey, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    progress = journey.progress("Tax form")
    client = client_for(acme, acme.partner_user)
    url = f"/portal/onboarding/actions/{progress.pk}/"
    response = client.post(url, {"files": [SimpleUploadedFile("w9.pdf", PDF, "application/pdf")]})
    assert response.status_code == 302
    assert journey.progress("Tax form").status == S.COMPLETED  # no approval needed
    with scope(tenant=acme.tenant):
        stored = ActionFile.objects.get(progress=progress)
    assert stored.original_name == "w9.pdf"
    assert stored.file.name.startswith(f"tenants/{acme.tenant.pk}/onboarding/")
    download = client.get(f"/portal/onboarding/files/{stored.pk}/")
    assert b"".join(download.streaming_content) == PDF
    assert (
        client_for(acme, acme.other_partner_user)
        .get(f"/portal/onboarding/files/{stored.pk}/")
        .status_code
        == 404
    )
    cam = client_for(acme, acme.cam).get(
        f"/console/partners/{acme.partner.pk}/onboarding/files/{stored.pk}/"
    )
    assert cam.status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.pdf", b"MZ\x90\x00" + b"\x00" * 200, ""),
        ("empty.pdf", b"", ""),
        ("../../etc/passwd.pdf", b"not a pdf at all", ""),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    acme, journey, client_for, settings, tmp_path, name, content, message
):
    settings.MEDIA_ROOT = str(tmp_path)
    progress = journey.progress("Tax form")
    response = client_for(acme, acme.partner_user).post(
        f"/portal/onboarding/actions/{progress.pk}/",
        {"files": [SimpleUploadedFile(name, content, "application/pdf")]},
    )
    assert response.status_code == 422
    assert "field__error" in response.content.decode()
    assert journey.progress("Tax form").status == S.PENDING
    with scope(tenant=acme.tenant):
        assert not ActionFile.objects.filter(progress=progress).exists()
    assert not any(tmp_path.rglob("*.*"))


def test_future_stage_action_page_is_read_only(acme, journey, client_for):
    later = journey.progress("Signed NDA")
    client = client_for(acme, acme.partner_user)
    page = client.get(f"/portal/onboarding/actions/{later.pk}/").content.decode()
    assert "opens when you reach" in page
    client.post(
        f"/portal/onboarding/actions/{later.pk}/",
        {"files": [SimpleUploadedFile("nda.pdf", PDF, "application/pdf")]},
    )
    assert journey.progress("Signed NDA").status == S.PENDING


# --- Query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 50])
def test_tab_and_portal_home_query_counts_are_constant(
    acme, client_for, django_assert_max_num_queries, n
):
    from apps.onboarding.services import partner_enroll

    build_pipeline(
        acme,
        stages_spec=[("Everything", [(f"Step {i}", PI if i % 2 else UP, True) for i in range(n)])],
    )
    with scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
        for progress in ActionProgress.objects.filter(enrollment=enrollment)[: n // 2]:
            action_complete(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                progress_id=progress.pk,
                submission={"legal_name": "x"},
            )
    cam = client_for(acme, acme.cam)
    cam.get("/console/")
    # +1 each for the pending-move check of the live pages, +1 for the stage's usual time.
    with django_assert_max_num_queries(17):
        assert cam.get(_tab(acme)).status_code == 200
    partner = client_for(acme, acme.partner_user)
    partner.get("/notifications/")
    with django_assert_max_num_queries(16):
        assert partner.get("/portal/").status_code == 200
    with django_assert_max_num_queries(15):
        assert partner.get("/portal/onboarding/").status_code == 200
