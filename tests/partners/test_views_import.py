"""The CSV import pages: upload, dry run, Import, the template; roles and other tenants."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount
from tests.partners.test_services_importing import csv_bytes, snapshot, three_rows

pytestmark = pytest.mark.django_db

URL = "/console/partners/import/"


def upload(client, data: bytes, name: str = "partners.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def dry_run(client, data: bytes):
    response = upload(client, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(URL + "?upload=")
    return client.get(response["Location"])


def apply_fields(body: str) -> dict:
    fields = dict(re.findall(r'name="(upload|sha256|digest)" value="([^"]+)"', body))
    fields["invite"] = ""
    return fields


def test_the_page_documents_the_format_and_links_the_template(acme, client_for):
    body = client_for(acme, acme.admin).get(URL).content.decode()
    for text in ("Import partners", "Check the file", "[admin]", "partner type", "cam email"):
        assert text in body
    assert 'href="/console/partners/import/template.csv"' in body


def test_the_template_is_a_csv_the_import_accepts(acme, client_for):
    response = client_for(acme, acme.admin).get("/console/partners/import/template.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header == "company,domains,partner type,tier,region,cam email,users"


def test_the_explorer_offers_import_to_program_admins_only(acme, client_for):
    assert (
        f'href="{URL}"' in client_for(acme, acme.admin).get("/console/partners/").content.decode()
    )
    assert (
        f'href="{URL}"' not in client_for(acme, acme.cam).get("/console/partners/").content.decode()
    )


@pytest.mark.parametrize(
    ("who", "status"), [("cam", 403), ("partner_admin", 404), ("partner_user", 404)]
)
def test_lower_roles_are_refused(acme, client_for, who, status):
    client = client_for(acme, getattr(acme, who))
    before = snapshot()
    assert client.get(URL).status_code == status
    assert client.get("/console/partners/import/template.csv").status_code == status
    assert upload(client, csv_bytes(three_rows(acme))).status_code == status
    assert snapshot() == before


def test_another_tenants_admin_gets_404(acme, globex, client_for):
    client = client_for(acme, globex.admin)
    assert client.get(URL).status_code == 404
    assert upload(client, csv_bytes(three_rows(acme))).status_code == 404


def test_upload_dry_run_then_import(acme, client_for, unscoped):
    client = client_for(acme, acme.admin)
    before = snapshot()
    page = dry_run(client, csv_bytes(three_rows(acme)))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count(">Create<") >= 3 and "Northwind Traders" in body
    assert snapshot() == before  # the dry run writes nothing
    response = client.post(URL, apply_fields(body))
    assert response.status_code == 302 and response["Location"] == "/console/partners/"
    assert PartnerAccount.objects.filter(tenant=acme.tenant, name="Fabrikam").exists()
    messages = client.get("/console/partners/").content.decode()
    assert "3 partners created" in messages
    # The stashed upload is gone: the same form cannot import twice.
    again = client.post(URL, apply_fields(body))
    assert again.status_code == 302 and again["Location"] == URL


def test_a_created_partners_timeline_says_it_was_imported(acme, client_for, unscoped):
    client = client_for(acme, acme.admin)
    client.post(URL, apply_fields(dry_run(client, csv_bytes(three_rows(acme))).content.decode()))
    account = PartnerAccount.objects.get(tenant=acme.tenant, name="Contoso")
    body = client.get(f"/console/partners/{account.pk}/").content.decode()
    assert "Imported partner account" in body


def test_re_running_the_same_file_changes_nothing(acme, client_for):
    client = client_for(acme, acme.admin)
    data = csv_bytes(three_rows(acme))
    client.post(URL, apply_fields(dry_run(client, data).content.decode()))
    before = snapshot()
    body = dry_run(client, data).content.decode()
    assert "importing this file would change nothing" in body
    assert 'name="digest"' not in body  # no Import button
    assert snapshot() == before


def test_all_or_nothing_when_row_three_of_three_fails(acme, client_for):
    client = client_for(acme, acme.admin)
    rows = three_rows(acme)
    rows[2][1] = "hotmail.com"
    before = snapshot()
    page = dry_run(client, csv_bytes(rows))
    body = page.content.decode()
    assert "hotmail.com is a free email provider" in body
    assert 'name="digest"' not in body
    token = re.search(r"upload=([\w-]+)", page.request["QUERY_STRING"]).group(1)
    forced = client.post(URL, {"upload": token, "sha256": "x" * 64, "digest": "y" * 32})
    assert forced.status_code == 302  # the sha256 does not match the stashed file
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty"),
        (b"company,domains,partner type\n", "no partner rows"),
        (b"company,domains,partner type,fax\nA,a.test,T,1\n", "Unknown column(s)"),
        (b"company,partner type\nA,T\n", "no “domains” column"),
        ("company,domains,partner type\nCafé,a.test,T\n".encode("cp1252"), "not UTF-8"),
        (b'company,domains,partner type\n"Acme,a.test,T\n', "not valid CSV"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(acme, client_for, data, message):
    before = snapshot()
    response = upload(client_for(acme, acme.admin), data)
    assert response.status_code == 422
    assert message.replace("“", "&ldquo;").replace("”", "&rdquo;") in response.content.decode() or (
        message in response.content.decode()
    )
    assert snapshot() == before


def test_a_non_csv_file_is_refused(acme, client_for):
    response = upload(client_for(acme, acme.admin), b"%PDF-1.4", name="partners.pdf")
    assert response.status_code == 422 and "Upload a .csv file" in response.content.decode()


def test_a_20_mb_file_is_refused_before_it_is_read(acme, client_for):
    data = b"company,domains,partner type\n" + b"A,a.test,T\n" * (20 * 1024 * 1024 // 11)
    before = snapshot()
    response = upload(client_for(acme, acme.admin), data)
    assert response.status_code == 413
    assert "larger than 10 MB" in response.content.decode()
    assert snapshot() == before


def test_formula_cells_and_duplicate_domains_are_explained(acme, client_for):
    rows = [
        ['=HYPERLINK("http://evil")', "evil.test", "Distributor", "", "", "", ""],
        ["Dup", "dup.test", "Distributor", "", "", "", ""],
        ["Dup Two", "dup.test", "Distributor", "", "", "", ""],
        ["Taken", "two.acme.test", "Distributor", "", "", "", ""],
    ]
    body = dry_run(client_for(acme, acme.admin), csv_bytes(rows)).content.decode()
    assert "look like spreadsheet formulas" in body
    assert "The domain dup.test is also on line 3." in body
    assert "two.acme.test already belongs to the partner account" in body


def test_another_admins_upload_cannot_be_used(acme, globex, client_for, unscoped):
    from apps.home.services import staff_member_add
    from apps.tenancy.models import Role

    second = staff_member_add(
        tenant=acme.tenant, actor=None, email="admin2@acme.test", role=Role.PROGRAM_ADMIN
    ).user
    page = dry_run(client_for(acme, acme.admin), csv_bytes(three_rows(acme)))
    before = snapshot()
    response = client_for(acme, second).post(URL, apply_fields(page.content.decode()))
    assert response.status_code == 302 and response["Location"] == URL
    assert snapshot() == before


def test_a_stale_dry_run_is_shown_again(acme, client_for, unscoped):
    client = client_for(acme, acme.admin)
    data = csv_bytes([["Acme Partner One", "one.acme.test", "", "gold", "", "", ""]])
    fields = apply_fields(dry_run(client, data).content.decode())
    PartnerAccount.objects.filter(pk=acme.partner.pk).update(tier="silver")
    response = client.post(URL, fields)
    assert response.status_code == 409
    assert "Something changed since the dry run" in response.content.decode()
    assert PartnerAccount.objects.get(pk=acme.partner.pk).tier == "silver"
    assert not AuditEvent.objects.filter(verb="partner.import").exists()


@pytest.mark.parametrize("rows", [5, 80])
def test_the_dry_run_page_takes_a_bounded_number_of_queries(
    acme, client_for, django_assert_max_num_queries, rows
):
    client = client_for(acme, acme.admin)
    data = csv_bytes(
        [
            [
                f"P{i}",
                f"p{i}.test",
                "Distributor",
                "gold",
                "emea",
                acme.cam.email,
                f"u{i}@p{i}.test",
            ]
            for i in range(rows)
        ]
    )
    location = upload(client, data)["Location"]
    with django_assert_max_num_queries(25):
        assert client.get(location).status_code == 200
