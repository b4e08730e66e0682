"""The pure logic of the `make chaos` checker (bench/chaos_logic.py): no database, no processes."""

from bench.chaos_logic import (
    NO_FAULT,
    Fault,
    Finding,
    blame,
    duplicates,
    email_key,
    failures,
    match_emails,
    server_errors_after_save,
    summary_table,
)


def _row(pk: int, to: str, subject: str, status: str = "delivered", at: float = 100.0) -> dict:
    return {"id": pk, "to": [to], "subject": subject, "status": status, "created_at": at}


def _mail(to: str, subject: str, outbox_id: str = "") -> dict:
    return {"to": to, "subject": subject, "outbox_id": outbox_id, "received_at": 0.0}


def test_email_key_normalises_addresses_and_subject() -> None:
    assert email_key(["Ann Lee <ANN@x.test>", "b@y.test"], "Welcome \n  aboard") == (
        ("ann@x.test", "b@y.test"),
        "Welcome aboard",
    )


def test_every_delivered_row_received_once_is_clean() -> None:
    rows = [_row(1, "a@x.test", "Hi"), _row(2, "b@x.test", "Hi"), _row(3, "a@x.test", "Hi")]
    received = [
        _mail("a@x.test", "Hi"),
        _mail("A <a@x.test>", "Hi"),
        _mail("b@x.test", "Hi"),
    ]
    assert match_emails(rows, received) == []


def test_a_row_not_delivered_is_lost() -> None:
    findings = match_emails([_row(1, "a@x.test", "Hi", status="pending")], [])
    assert [(f.kind, f.what) for f in findings] == [("lost", "email")]
    assert "#1 pending" in findings[0].detail


def test_a_delivered_row_never_received_is_lost() -> None:
    rows = [_row(1, "a@x.test", "Hi", at=1.0), _row(2, "a@x.test", "Hi", at=2.0)]
    findings = match_emails(rows, [_mail("a@x.test", "Hi")])
    assert [(f.kind, f.detail.split()[1]) for f in findings] == [("lost", "#2")]


def test_a_message_without_the_outbox_id_received_twice_is_duplicated() -> None:
    findings = match_emails(
        [_row(1, "a@x.test", "Hi")], [_mail("a@x.test", "Hi"), _mail("a@x.test", "Hi")]
    )
    assert [(f.kind, f.what) for f in findings] == [("duplicated", "email")]
    assert failures(findings) == findings


def test_a_repeat_with_the_rows_own_message_id_is_resent_not_a_failure() -> None:
    rows = [_row(1, "a@x.test", "Hi")]
    findings = match_emails(rows, [_mail("a@x.test", "Hi", "1"), _mail("a@x.test", "Hi", "1")])
    assert [(f.kind, f.what) for f in findings] == [("resent", "email")]
    assert failures(findings) == []


def test_outbox_id_header_matches_exactly() -> None:
    rows = [_row(1, "a@x.test", "Hi"), _row(2, "a@x.test", "Hi")]
    received = [_mail("a@x.test", "Hi", "1"), _mail("a@x.test", "Hi", "1")]
    findings = match_emails(rows, received)
    kinds = sorted((f.kind, f.detail.split()[1]) for f in findings)
    # Row 1 twice (by its id), row 2 never: counting by key alone would have seen no problem.
    assert kinds == [("lost", "#2"), ("resent", "#1")]


def test_a_row_naming_no_recipient_is_matched_by_id_only() -> None:
    notification = {"id": 7, "to": [], "subject": "", "status": "delivered", "created_at": 1.0}
    digest = {**notification, "id": 8, "may_send_nothing": True}
    assert match_emails([notification, digest], [_mail("a@x.test", "Hi", "7")]) == []
    findings = match_emails([notification, digest], [])
    assert [f.detail for f in findings] == ["outbox #7 delivered, never received"]


def test_duplicates_reports_each_repeated_key_once() -> None:
    findings = duplicates(
        [(("e1", "Stage 2"), 5.0), (("e1", "Stage 2"), 6.0), (("e2", "Stage 2"), 7.0)],
        what="transition",
        label="audit",
    )
    assert len(findings) == 1
    assert findings[0].at == 5.0 and "x2" in findings[0].detail


def test_a_5xx_counts_only_when_that_request_saved_the_change() -> None:
    def post(at: float, status: int, effect: str) -> dict:
        return {
            "at": at,
            "done": at + 0.5,
            "method": "POST",
            "path": "/a/",
            "status": status,
            "effect": effect,
        }

    responses = [
        post(1.0, 500, "action:1"),  # saved at 1.2: during the request
        post(2.0, 502, "action:2"),  # never saved
        post(3.0, 500, "action:3"),  # rolled back; the retry below saved it
        post(5.0, 302, "action:3"),
        post(6.0, 302, "action:4"),  # no error
        {**post(7.0, 500, ""), "method": "GET"},  # a page, not a change
        post(8.0, 0, "action:5"),  # connection refused: no answer shown
    ]
    saved_at = {
        "action:1": 1.2,
        "action:2": None,
        "action:3": 5.1,
        "action:4": 6.1,
        "action:5": 8.1,
    }
    findings = server_errors_after_save(responses, saved_at)
    assert [f.detail for f in findings] == ["POST /a/ -> 500 (action:1)"]


def test_blame_picks_the_latest_fault_still_in_its_window() -> None:
    faults = [
        Fault("redis", 10.0, 11.0),
        Fault("postgres", 20.0, 22.0),
        Fault("smtp", 5.0, 400.0),
    ]
    assert blame(21.0, faults) == "postgres"
    assert blame(15.0, faults) == "redis"
    assert blame(300.0, faults) == "smtp"
    assert blame(1.0, faults) == NO_FAULT
    assert blame(1000.0, faults, window=60) == NO_FAULT


def test_summary_table_counts_per_fault_and_total() -> None:
    faults = [Fault("worker", 10.0, 11.0), Fault("worker", 50.0, 51.0), Fault("redis", 30, 30)]
    findings = [
        Finding("lost", "transition", "enrollment #1", 12.0),
        Finding("duplicated", "email", "outbox #2", 31.0),
        Finding("500 after save", "response", "POST /apply/", 1.0),
        Finding("resent", "email", "outbox #3", 51.5),
    ]
    table = summary_table(faults, findings).splitlines()
    assert [c.strip() for c in table[0].split("  ") if c.strip()] == [
        "fault",
        "injected",
        "lost",
        "duplicated",
        "500 after save",
        "resent, same id",
    ]
    rows = {line.split()[0]: line.split()[1:] for line in table[2:] if not line.startswith("-")}
    assert rows["worker"] == ["2", "1", "0", "0", "1"]
    assert rows["redis"] == ["1", "0", "1", "0", "0"]
    assert rows["worker-child"] == ["0", "0", "0", "0", "0"]
    assert [line for line in table if line.startswith(NO_FAULT)][0].split()[-5:] == [
        "0",
        "0",
        "0",
        "1",
        "0",
    ]
    assert table[-1].split() == ["total", "3", "1", "1", "1", "1"]


def test_summary_table_without_findings_has_no_unattributed_line() -> None:
    table = summary_table([Fault("redis", 1.0, 2.0)], [])
    assert NO_FAULT not in table
    assert table.splitlines()[-1].split() == ["total", "1", "0", "0", "0", "0"]


def test_the_sink_reads_the_outbox_row_from_the_message_id():
    from apps.outbox.mail_backend import outbox_message_id
    from bench.chaos_smtp import outbox_id

    assert outbox_id(outbox_message_id(104)) == "104"
    assert outbox_id("<172.9.1@localhost>") == ""  # an email sent outside the outbox
