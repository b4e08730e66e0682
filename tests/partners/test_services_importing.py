"""CSV import of partner accounts: reading the file, the dry run, and the all-or-nothing apply."""

import csv
import io

import pytest
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.home.services import staff_active_set
from apps.notifications.models import Notification
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType, PartnerUser
from apps.partners.services import (
    IMPORT_MAX_ROWS,
    ImportFileError,
    PartnerEditConflict,
    PartnerImportRefused,
    PartnerImportStale,
    partner_account_update,
    partner_account_version,
    partner_import_apply,
    partner_import_parse,
    partner_import_plan,
)
from apps.tenancy.models import Membership, Role
from tests.conftest import in_scope, race

pytestmark = pytest.mark.django_db

HEADER = ["company", "domains", "partner type", "tier", "region", "cam email", "users"]


def csv_bytes(rows, header=HEADER, bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode()


def three_rows(program):
    return [
        [
            "Northwind Traders",
            "northwind.test; nw.test",
            "reseller / var",
            "Gold",
            "EMEA",
            program.cam.email,
            "Ana Diaz <ana@northwind.test> [admin]; bob@northwind.test",
        ],
        ["Contoso", "contoso.test", "Managed Service Provider", "", "na", "", ""],
        ["Fabrikam", "fabrikam.test", "Distributor", "silver", "", "", "eve@fabrikam.test"],
    ]


def plan(program, data):
    with scope(tenant=program.tenant):
        return partner_import_plan(tenant=program.tenant, rows=partner_import_parse(data))


def apply(program, data, actor=None, digest=None, invite=False):
    with scope(tenant=program.tenant):
        digest = (
            digest
            or partner_import_plan(tenant=program.tenant, rows=partner_import_parse(data)).digest
        )
        return partner_import_apply(
            tenant=program.tenant,
            actor=actor or program.admin,
            data=data,
            digest=digest,
            file_name="partners.csv",
            send_invitations=invite,
        )


def snapshot():
    with scopes_disabled():
        return (
            PartnerAccount.objects.count(),
            PartnerDomain.objects.count(),
            PartnerUser.objects.count(),
            Membership.objects.count(),
            AuditEvent.objects.count(),
        )


# --- Reading the file ------------------------------------------------------------------------


def test_headers_match_case_insensitively_in_any_order_with_a_bom():
    data = csv_bytes(
        [["acme.test", "Acme", "Reseller"]], header=["Domains", "COMPANY", "Partner_Type"], bom=True
    )
    (row,) = partner_import_parse(data)
    assert (row.company, row.domains, row.partner_type) == ("Acme", ["acme.test"], "Reseller")


def test_semicolon_separated_files_are_read():
    data = b"company;domains;partner type\nAcme;acme.test;Reseller\n"
    (row,) = partner_import_parse(data)
    assert row.company == "Acme"


def test_the_users_cell_gives_names_emails_and_the_admin_flag():
    data = csv_bytes(
        [["A", "a.test", "T", "", "", "", "Ana Diaz <ANA@a.test> [Admin];\nbob@a.test; ana@a.test"]]
    )
    (row,) = partner_import_parse(data)
    assert [(p.email, p.first_name, p.last_name, p.admin) for p in row.users] == [
        ("ana@a.test", "Ana", "Diaz", True),
        ("bob@a.test", "", "", False),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (b"company,domains,partner type\n", "no partner rows"),
        (b"company,domains,partner type,colour\nA,a.test,T,red\n", "Unknown column(s): “colour”"),
        (b"company,partner type\nA,T\n", "no “domains” column"),
        (b"company,company,domains,partner type\n", "appears twice"),
        ("company,domains,partner type\nCafé,a.test,T\n".encode("cp1252"), "not UTF-8"),
        ("company,domains\n".encode("utf-16"), "UTF-16"),
        (b'company,domains,partner type\n"Acme,a.test,T\n', "not valid CSV"),
        (b'company,domains,partner type\n"Acme"x,a.test,T\n', "not valid CSV"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(data, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        partner_import_parse(data)


def test_files_over_the_size_limit_are_refused():
    data = b"company,domains,partner type\n" + b"A,a.test,T\n" * (11 * 1024 * 1024 // 11)
    with pytest.raises(ImportFileError, match="larger than 10 MB"):
        partner_import_parse(data)


def test_more_rows_than_the_cap_are_refused():
    rows = [[f"C{i}", f"c{i}.test", "T"] for i in range(IMPORT_MAX_ROWS + 1)]
    with pytest.raises(ImportFileError, match="more than 10,000 partner rows"):
        partner_import_parse(csv_bytes(rows, header=["company", "domains", "partner type"]))
    assert len(partner_import_parse(csv_bytes(rows[:-1], header=HEADER[:3]))) == IMPORT_MAX_ROWS


@pytest.mark.parametrize("cell", ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\t=1", " =1"])
def test_formula_looking_cells_are_refused(cell):
    (row,) = partner_import_parse(csv_bytes([[cell, "a.test", "T"]], header=HEADER[:3]))
    assert any("look like spreadsheet formulas" in e for e in row.errors)


# --- The dry run and the import ----------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_says_what_each_row_does(acme):
    before = snapshot()
    result = plan(acme, csv_bytes(three_rows(acme)))
    assert [r.action for r in result.rows] == ["create", "create", "create"]
    assert result.invitations == 3
    assert snapshot() == before


def test_import_creates_accounts_domains_people_and_audits_each(acme, unscoped):
    result = apply(acme, csv_bytes(three_rows(acme)))
    assert (result.created, result.updated, result.people_added) == (3, 0, 3)
    nw = PartnerAccount.objects.get(tenant=acme.tenant, name="Northwind Traders")
    assert (nw.partner_type.name, nw.tier, nw.region, nw.cam_id) == (
        "Reseller / VAR",
        "gold",
        "emea",
        acme.cam.pk,
    )
    assert sorted(nw.domains.values_list("domain", flat=True)) == ["northwind.test", "nw.test"]
    contoso = PartnerAccount.objects.get(tenant=acme.tenant, name="Contoso")
    assert (contoso.tier, contoso.region, contoso.cam) == ("registered", "na", None)
    roles = {
        link.membership.user.email: (link.account_id, link.membership.role)
        for link in PartnerUser.objects.filter(
            tenant=acme.tenant, account__name__in=["Northwind Traders", "Fabrikam"]
        )
    }
    assert roles["ana@northwind.test"] == (nw.pk, Role.PARTNER_ADMIN)
    assert roles["bob@northwind.test"] == (nw.pk, Role.PARTNER_USER)
    ana = Membership.objects.get(tenant=acme.tenant, user__email="ana@northwind.test").user
    assert (ana.first_name, ana.last_name, ana.has_usable_password()) == ("Ana", "Diaz", False)
    # One event per account (on its timeline) and one summary.
    created = AuditEvent.objects.filter(tenant=acme.tenant, verb="partner.imported")
    assert created.count() == 3
    event = created.get(partner_id=nw.pk)
    assert event.data["to"]["tier"] == "gold" and event.data["to"]["users"] == [
        "ana@northwind.test",
        "bob@northwind.test",
    ]
    summary = AuditEvent.objects.get(tenant=acme.tenant, verb="partner.import")
    assert (summary.data["created"], summary.data["file"]) == (3, "partners.csv")


def test_running_the_same_file_again_changes_nothing(acme):
    data = csv_bytes(three_rows(acme))
    apply(acme, data)
    before = snapshot()
    again = plan(acme, data)
    assert [r.action for r in again.rows] == ["unchanged"] * 3
    result = apply(acme, data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert snapshot() == before


def test_rows_update_the_account_with_their_domain_then_their_name(acme, unscoped):
    data = csv_bytes(
        [
            [
                "Acme Partner One",
                "one.acme.test; extra.test",
                "",
                "platinum",
                "",
                "",
                "new@one.acme.test [admin]",
            ],
            ["acme partner two", "second.test", "Distributor", "", "apac", "", ""],
        ]
    )
    result = plan(acme, data)
    assert [(r.action, r.account_id) for r in result.rows] == [
        ("update", acme.partner.pk),
        ("update", acme.other_partner.pk),
    ]
    apply(acme, data)
    one = PartnerAccount.objects.get(pk=acme.partner.pk)
    assert one.tier == "platinum" and one.partner_type.name == "Reseller / VAR"  # empty: kept
    assert sorted(one.domains.values_list("domain", flat=True)) == ["extra.test", "one.acme.test"]
    two = PartnerAccount.objects.get(pk=acme.other_partner.pk)
    assert (two.partner_type.name, two.region) == ("Distributor", "apac")
    event = AuditEvent.objects.get(verb="partner.import_updated", partner_id=one.pk)
    assert event.data["from"]["tier"] == "registered" and event.data["to"]["tier"] == "platinum"
    assert event.data["from"]["domains"] == ["one.acme.test"]
    assert event.data["to"]["users"] == ["new@one.acme.test"]


def test_an_import_promotes_but_never_demotes_or_removes(acme, unscoped):
    data = csv_bytes(
        [
            [
                "Acme Partner One",
                "one.acme.test",
                "",
                "",
                "",
                "",
                f"{acme.partner_user.email} [admin]; {acme.partner_admin.email}",
            ]
        ]
    )
    apply(acme, data)
    roles = dict(
        Membership.objects.filter(
            tenant=acme.tenant, user__in=[acme.partner_user, acme.partner_admin]
        ).values_list("user__email", "role")
    )
    assert roles == {
        acme.partner_user.email: "partner_admin",
        acme.partner_admin.email: "partner_admin",
    }


def test_an_existing_user_of_another_program_gets_a_membership_not_a_second_account(
    acme, globex, unscoped
):
    email = globex.partner_admin.email
    apply(acme, csv_bytes([["Globex Friends", "friends.test", "Distributor", "", "", "", email]]))
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.filter(email__iexact=email).count() == 1
    membership = Membership.objects.get(tenant=acme.tenant, user=globex.partner_admin)
    assert membership.role == Role.PARTNER_USER
    assert (
        Membership.objects.get(tenant=globex.tenant, user=globex.partner_admin).role
        == "partner_admin"
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["X", "gmail.com", "Distributor"], "gmail.com is a free email provider"),
        (["X", "not_a domain", "Distributor"], "is not an email domain"),
        (["X", "x.test", "Space Agency"], "Unknown partner type “Space Agency”"),
        (["X", "x.test", ""], "A new partner needs a partner type"),
        (["X", "x.test", "Distributor", "diamond"], "Unknown tier “diamond”"),
        (["X", "x.test", "Distributor", "", "mars"], "Unknown region “mars”"),
        (["X", "x.test", "Distributor", "", "", "nobody@acme.test"], "not an active member"),
        (
            ["X", "one.acme.test", "Distributor"],
            "one.acme.test already belongs to the partner account “Acme Partner One”",
        ),
        (
            ["X", "x.test", "Distributor", "", "", "", "padmin@two.acme.test"],
            "already belongs to the partner account “Acme Partner Two”",
        ),
        (
            ["X", "x.test", "Distributor", "", "", "", "cam@acme.test"],
            "is a member of the program staff",
        ),
        (["X", "x.test", "Distributor", "", "", "", "Ana <nope>"], "is not an email address"),
        (["=X", "x.test", "Distributor"], "spreadsheet formulas"),
    ],
)
def test_each_bad_row_is_explained_and_nothing_is_imported(acme, row, message):
    rows = [["Good One", "good.test", "Distributor"], row + [""] * (7 - len(row))]
    rows[0] += [""] * 4
    data = csv_bytes(rows)
    result = plan(acme, data)
    assert result.rows[0].action == "create"
    assert result.rows[1].action == "error"
    assert any(message in e for e in result.rows[1].errors), result.rows[1].errors
    before = snapshot()
    with pytest.raises(PartnerImportRefused, match="Some rows have errors"):
        apply(acme, data, digest=result.digest)
    assert snapshot() == before


def test_an_inactive_cam_is_refused(acme):
    with scope(tenant=acme.tenant):
        staff_active_set(
            tenant=acme.tenant,
            actor=acme.admin,
            membership_id=Membership.objects.get(tenant=acme.tenant, user=acme.cam).pk,
            active=False,
        )
    result = plan(acme, csv_bytes([["X", "x.test", "Distributor", "", "", acme.cam.email, ""]]))
    assert "not an active member" in result.rows[0].errors[0]


def test_duplicates_within_the_file_are_refused(acme):
    data = csv_bytes(
        [
            ["A", "a.test", "Distributor", "", "", "", "x@a.test"],
            ["B", "b.test; A.TEST", "Distributor", "", "", "", ""],
            ["C", "c.test", "Distributor", "", "", "", "X@a.test"],
        ]
    )
    result = plan(acme, data)
    assert [r.action for r in result.rows] == ["create", "error", "error"]
    assert "The domain a.test is also on line 2." in result.rows[1].errors
    assert "x@a.test is also on line 2." in result.rows[2].errors


def test_all_or_nothing_when_row_three_of_three_fails(acme):
    rows = three_rows(acme)
    rows[2][1] = "yahoo.com"
    data = csv_bytes(rows)
    before = snapshot()
    with pytest.raises(PartnerImportRefused):
        apply(acme, data, digest="0" * 32)
    assert snapshot() == before


def test_only_program_admins_may_import(acme):
    data = csv_bytes(three_rows(acme))
    before = snapshot()
    with pytest.raises(PartnerImportRefused, match="Only program admins"):
        apply(acme, data, actor=acme.cam)
    assert snapshot() == before


def test_a_change_after_the_dry_run_refuses_the_import_and_keeps_the_change(acme, unscoped):
    data = csv_bytes([["Acme Partner One", "one.acme.test", "", "gold", "", "", ""]])
    dry = plan(acme, data)
    account = PartnerAccount.objects.get(pk=acme.partner.pk)
    with scope(tenant=acme.tenant):
        partner_account_update(
            tenant=acme.tenant,
            actor=acme.cam,
            account_id=account.pk,
            version=partner_account_version(account=account, domains=["one.acme.test"]),
            partner_type=account.partner_type,
            tier="silver",
            region="na",
            cam=acme.cam,
            domains=["one.acme.test"],
        )
    with pytest.raises(PartnerImportStale) as refused:
        apply(acme, data, digest=dry.digest)
    assert refused.value.plan.rows[0].before == {"tier": "silver"}
    account.refresh_from_db()
    assert (account.tier, account.region) == ("silver", "na")


def test_cams_get_one_message_per_import(acme, unscoped):
    rows = [[f"P{i}", f"p{i}.test", "Distributor", "", "", acme.cam.email, ""] for i in range(5)]
    before = Notification.objects.filter(tenant=acme.tenant, recipient=acme.cam).count()
    apply(acme, csv_bytes(rows))
    assert Notification.objects.filter(tenant=acme.tenant, recipient=acme.cam).count() == before + 1


def test_invitations_go_out_after_commit_only_when_asked(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            apply(acme, csv_bytes(three_rows(acme)[:1]), invite=True)
        with django_capture_on_commit_callbacks(execute=True):
            apply(acme, csv_bytes(three_rows(acme)[1:]), invite=False)
    finally:
        app.conf.task_always_eager = False
    invited = sorted((m for m in mailoutbox if m.to[0] != acme.cam.email), key=lambda m: m.to)
    assert [m.to[0] for m in invited] == ["ana@northwind.test", "bob@northwind.test"]
    assert "Northwind Traders" in invited[0].subject
    assert "/accounts/password/reset/key/" in invited[0].body


def test_the_dry_run_takes_a_bounded_number_of_queries(acme, django_assert_max_num_queries):
    rows = [
        [
            f"P{i}",
            f"p{i}.test",
            "Distributor",
            "gold",
            "emea",
            acme.cam.email,
            f"u{i}@p{i}.test [admin]",
        ]
        for i in range(200)
    ]
    data = csv_bytes(rows)
    with django_assert_max_num_queries(10):
        plan(acme, data)


def test_a_bulk_import_of_many_rows_takes_a_bounded_number_of_queries(
    acme, django_assert_max_num_queries
):
    rows = [
        [f"P{i}", f"p{i}.test", "Distributor", "", "", "", f"u{i}@p{i}.test; v{i}@p{i}.test"]
        for i in range(300)
    ]
    data = csv_bytes(rows)
    digest = plan(acme, data).digest
    with django_assert_max_num_queries(40):
        apply(acme, data, digest=digest)
    assert snapshot()[0] == 302


@pytest.mark.django_db(transaction=True)
def test_race_import_while_a_cam_edits_the_same_partner(acme):
    with scopes_disabled():
        account = PartnerAccount.objects.get(pk=acme.partner.pk)
        version = partner_account_version(account=account, domains=["one.acme.test"])
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
    data = csv_bytes([["Acme Partner One", "one.acme.test", "", "gold", "", "", ""]])
    digest = plan(acme, data).digest
    results = race(
        in_scope(
            acme.tenant,
            partner_import_apply,
            actor=acme.admin,
            data=data,
            digest=digest,
            send_invitations=False,
        ),
        in_scope(
            acme.tenant,
            partner_account_update,
            actor=acme.cam,
            account_id=account.pk,
            version=version,
            partner_type=reseller,
            tier="silver",
            region="",
            cam=acme.cam,
            domains=["one.acme.test"],
        ),
    )
    imported, edited = results
    with scopes_disabled():
        account.refresh_from_db()
    # Exactly one wins; the other is refused and says so: no lost update.
    if isinstance(imported, PartnerImportStale):
        assert not isinstance(edited, Exception) and account.tier == "silver"
    else:
        assert isinstance(edited, PartnerEditConflict), (imported, edited)
        assert account.tier == "gold"
