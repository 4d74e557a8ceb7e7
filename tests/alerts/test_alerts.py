"""Alerting against a real SMTP server on loopback: what arrives, once, and nothing twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import logging
import sqlite3
import ssl
import subprocess
import sys
from email import policy

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from flows.errors import ConfigError
from flows.notify import alerts, mailer
from flows.plan import load_plan
from tests.alerts.conftest import Inbox, free_port, point_smtp_at
from tests.conftest import PLAN
from tests.helpers import build_db, set_par_self_score

TZ = alerts.TZ


def _states(db) -> dict[str, str]:
    with sqlite3.connect(alerts.state_path(db)) as s:
        return dict(s.execute("select message_id, state from alert_log").fetchall())


def _off_track(db, owner: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select count(*) from criterion_gaps where owner_unit = ?"
            " and status in ('missed', 'at_risk')",
            [owner],
        ).fetchall()[0][0]


def _needs_attention(db, owner: str) -> tuple[int, int]:
    """(criteria without evidence, criteria off track or without evidence) of an owner."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select count(*) filter (where evidence_missing), count(*) from criterion_gaps"
            " where owner_unit = ? and (status in ('missed', 'at_risk') or evidence_missing)",
            [owner],
        ).fetchall()[0]


def test_no_smtp_writes_the_digest_to_the_outbox_once(published, monkeypatch):
    for var in ("CHISO_SMTP_HOST", "CHISO_SMTP_BLOCK"):
        monkeypatch.delenv(var, raising=False)
    db, plan = published
    report = alerts.run_alerts(db, plan, "r1")
    assert report.mode == "outbox" and len(report.written) == 1
    eml = list(alerts.outbox_path(db).glob("*.eml"))
    assert len(eml) == 1 and "digest" in eml[0].name
    parsed = email.message_from_bytes(eml[0].read_bytes(), policy=policy.default)
    assert parsed["Subject"].startswith("[chiso] Tổng hợp ngày ")
    assert parsed["To"] == "vanphong.stttt@example.gov.vn"
    assert "Theo đơn vị phụ trách:" in parsed.get_body(("plain",)).get_content()
    again = alerts.run_alerts(db, plan, "r2")
    assert again.written == [] and again.created == []
    assert len(list(alerts.outbox_path(db).glob("*.eml"))) == 1


def test_owner_emails_off_sends_only_the_office_digest(published, smtp_server):
    db, plan = published
    report = alerts.run_alerts(db, plan, "r1")
    assert report.mode == "smtp"
    assert [m["To"] for m in smtp_server.messages] == ["vanphong.stttt@example.gov.vn"]
    digest = smtp_server.messages[0]
    assert digest["Subject"].startswith("[chiso] Tổng hợp ngày ")
    text = digest.get_body(("plain",)).get_content()
    html = digest.get_body(("html",)).get_content()
    with duckdb.connect(str(db), read_only=True) as con:
        missed, at_risk, no_evidence = con.execute(
            "select count(*) filter (where status = 'missed'),"
            " count(*) filter (where status = 'at_risk'), count(*) filter (where evidence_missing)"
            " from criterion_gaps"
        ).fetchall()[0]
    assert (f"Không đạt: {missed}; có nguy cơ (điểm tạm tính): {at_risk}; tự chấm có điểm nhưng"
            f" thiếu tài liệu kiểm chứng: {no_evidence}.") in text
    assert "chưa được bật" in text
    assert "<table" in html and "Văn phòng Sở" in html


def test_owner_emails_on_each_owner_once_then_nothing(published, smtp_server, plan_owners_on):
    db, _ = published
    plan = load_plan(plan_owners_on)
    alerts.run_alerts(db, plan, "r1")
    by_to = {m["To"]: m for m in smtp_server.messages}
    assert sorted(by_to) == ["cntt.stttt@example.gov.vn", "vanphong.stttt@example.gov.vn"]
    assert len(smtp_server.messages) == 3  # CNTT, VP and the digest to VP
    cntt = by_to["cntt.stttt@example.gov.vn"]
    n_cntt = _off_track(db, "CNTT")
    n_no_evidence, n_items = _needs_attention(db, "CNTT")
    assert n_no_evidence > 0  # the sample has CNTT scores without evidence
    assert (f": {n_cntt} tiêu chí chưa đạt mục tiêu, {n_no_evidence} thiếu tài liệu kiểm chứng"
            f" ({n_items} mới)") in cntt["Subject"]
    body = cntt.get_body(("plain",)).get_content()
    assert "PAR 7.1.2" in body and "(tạm tính)" in body and "[Mới]" in body
    assert "PAR 7.3.4" in body and "Chưa có số liệu; thiếu tài liệu kiểm chứng" in body
    # under each off-track criterion, what it would take (criterion_guidance)
    with duckdb.connect(str(db), read_only=True) as con:
        todo = con.execute(
            "select g.guidance_vi from criterion_gaps as c join criterion_guidance as g"
            " using (index_name, unit_code, criterion_code) where c.owner_unit = 'CNTT'"
            " and c.status in ('missed', 'at_risk') and g.appendix is not distinct from c.appendix"
        ).fetchall()
    assert body.count("  Cần làm: ") == len(todo) > 0
    assert all(f"  Cần làm: {text}." in body for (text,) in todo)
    assert ">Cần làm</th>" in cntt.get_body(("html",)).get_content()
    vp, digest = sorted(  # VP's own email and the Office's digest (VP is the Office)
        (m for m in smtp_server.messages if m["To"] == "vanphong.stttt@example.gov.vn"),
        key=lambda m: "Tổng hợp" in m["Subject"])
    vp = vp.get_body(("plain",)).get_content()
    assert "  Cần làm: Cần thêm " in vp and " phiếu hài lòng trên " in vp  # SIPAS, VP's
    assert "chưa phân biệt được với sai số chọn mẫu (p = " in vp
    assert "  Cần làm: " in digest.get_body(("plain",)).get_content()  # under the worst
    assert set(_states(db).values()) == {"sent"}
    # a re-run of the same night sends nothing new
    report = alerts.run_alerts(db, plan, "r2")
    assert report.created == [] and report.sent == []
    assert len(smtp_server.messages) == 3


def test_a_recovery_goes_to_its_owner_only(tmp_path, inbox, smtp_server, plan_owners_on):
    db = tmp_path / "var" / "chiso.duckdb"
    _, plan, _ = build_db(db, inbox, plan_owners_on)
    alerts.run_alerts(db, plan, "r1")
    assert len(smtp_server.messages) == 3
    # 7.1.2 (owned by CNTT) improves above its baseline: 0,25 -> 0,5 self-assessed
    set_par_self_score(inbox, "STTTT", 2024, "7.1.2", "0.5")
    build_db(db, inbox, plan_owners_on)
    report = alerts.run_alerts(db, plan, "r2")
    new = smtp_server.messages[3:]
    assert sorted(m["To"] for m in new) == [
        "cntt.stttt@example.gov.vn",
        "vanphong.stttt@example.gov.vn",
    ]
    cntt = next(m for m in new if m["To"] == "cntt.stttt@example.gov.vn")
    # 7.1.2 was at risk, never met before: now it is met ("Đã đạt", not "đạt lại")
    assert "(1 đã đạt)" in cntt["Subject"]
    assert "[Đã đạt] PAR 7.1.2" in cntt.get_body(("plain",)).get_content()
    assert next(m for m in new if m["To"].startswith("vanphong"))["Subject"].startswith(
        "[chiso] Tổng hợp"
    )  # the digest, not a second VP owner email
    assert len(report.sent) == 2


def test_nothing_changed_nothing_due_reads_no_rows(published, smtp_server, plan_owners_on,
                                                    monkeypatch):
    """A night with the same results and no reminder or digest due: alerting decides from a
    hash computed in DuckDB and does not read criterion_gaps into Python."""
    db, _ = published
    plan = load_plan(plan_owners_on)
    day1 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=TZ)
    alerts.run_alerts(db, plan, "r1", now=day1)
    n1 = len(smtp_server.messages)
    real = alerts.read_published
    calls = []
    monkeypatch.setattr(alerts, "read_published",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    report = alerts.run_alerts(db, plan, "r2", now=day1 + dt.timedelta(days=1))
    assert calls == [] and report.created == [] and len(smtp_server.messages) == n1
    # the plan changes (a reminder interval): evaluated again, still nothing to send
    changed = load_plan(plan_owners_on)
    changed.raw["alerts"]["reminder_days"] = 9
    alerts.run_alerts(db, changed, "r3", now=day1 + dt.timedelta(days=2))
    assert len(calls) == 1 and len(smtp_server.messages) == n1
    # a week on, the digest is due again: evaluated, and sent
    alerts.run_alerts(db, changed, "r4", now=day1 + dt.timedelta(days=7))
    assert len(calls) == 2
    assert [m["Subject"][:21] for m in smtp_server.messages[n1:]] == ["[chiso] Tổng hợp ngày"]


def test_an_unchanged_miss_is_reminded_after_the_interval(published, smtp_server, plan_owners_on):
    db, _ = published
    plan = load_plan(plan_owners_on)
    day1 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=TZ)
    alerts.run_alerts(db, plan, "r1", now=day1)
    n1 = len(smtp_server.messages)
    alerts.run_alerts(db, plan, "r2", now=day1 + dt.timedelta(days=3))
    assert len(smtp_server.messages) == n1  # nothing changed, no reminder due yet
    alerts.run_alerts(db, plan, "r3", now=day1 + dt.timedelta(days=8))
    later = smtp_server.messages[n1:]
    subjects = sorted(m["Subject"] for m in later)
    assert sum(s.startswith("[chiso] Nhắc lại:") for s in subjects) == 2  # CNTT and VP
    assert any(s.startswith("[chiso] Tổng hợp") for s in subjects)  # weekly digest


def test_smtp_down_keeps_messages_pending_then_sends_them_once(published, monkeypatch):
    db, plan = published
    port = free_port()  # nothing listens here yet
    point_smtp_at(monkeypatch, port)
    monkeypatch.setattr(alerts, "RETRY_SECONDS", (0.01, 0.01))
    report = alerts.run_alerts(db, plan, "r1")
    assert len(report.pending) == 1 and report.sent == []
    with sqlite3.connect(alerts.state_path(db)) as s:
        ((state, attempts, error),) = s.execute(
            "select state, attempts, last_error from alert_log"
        ).fetchall()
    assert state == "pending" and attempts == alerts.SEND_ATTEMPTS and "cannot connect" in error
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        report = alerts.run_alerts(db, plan, "r2")
        assert len(handler.messages) == 1 and len(report.sent) == 1
        alerts.run_alerts(db, plan, "r3")
        assert len(handler.messages) == 1
    finally:
        controller.stop()


class DropDuringData(Inbox):
    """Takes the message, then drops the connection before answering: outcome unknown."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        server.transport.close()
        await asyncio.sleep(0.2)
        return "250 OK"


def test_a_drop_during_handover_is_unknown_and_never_resent(published, monkeypatch):
    db, plan = published
    handler = DropDuringData()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    point_smtp_at(monkeypatch, port)
    try:
        report = alerts.run_alerts(db, plan, "r1")
        assert len(report.unknown) == 1 and report.sent == []
        assert len(handler.messages) == 1
        assert list(_states(db).values()) == ["unknown"]
        # next run: not resent blindly; the Office is told in the next digest
        controller.stop()
        good = Inbox()
        controller = Controller(good, hostname="127.0.0.1", port=port)
        controller.start()
        alerts.run_alerts(db, plan, "r2")
        assert len(good.messages) == 1  # a new digest, not the unknown one again
        text = good.messages[0].get_body(("plain",)).get_content()
        assert "không rõ đã gửi hay chưa" in text
    finally:
        controller.stop()


def test_a_run_killed_while_sending_leaves_unknown_not_a_resend(published, smtp_server):
    db, plan = published
    store = alerts.AlertStore(alerts.state_path(db))
    now = dt.datetime.now(TZ)
    msg = alerts.Outgoing(
        "m-killed",
        "digest",
        None,
        "vanphong.stttt@example.gov.vn",
        "s",
        "t",
        "<p>h</p>",
        [{"fingerprint": "x"}],
    )
    store.add(msg, "r0", now)
    store.set_state("m-killed", "sending", attempt=True)  # the process died here
    store.close()
    alerts.run_alerts(db, plan, "r1")
    assert _states(db)["m-killed"] == "unknown"
    assert all(m["X-Chiso-Message"] != "m-killed" for m in smtp_server.messages)


def test_starttls_with_login_and_no_password_in_logs(published, monkeypatch, tls_cert, caplog):
    db, plan = published
    cert, key = tls_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    secret = "s3cr3t-Mật-khẩu"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"chiso"
            and auth_data.password == secret.encode()
        )
        return AuthResult(success=ok)

    handler = Inbox()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    for k, v in {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECURITY": "starttls",
        "USER": "chiso",
        "PASSWORD": secret,
        "SENDER": "chiso@example.gov.vn",
        "CA_FILE": str(cert),
    }.items():
        monkeypatch.setenv(f"CHISO_SMTP_{k}", v)
    caplog.set_level(logging.DEBUG)
    try:
        report = alerts.run_alerts(db, plan, "r1")
        assert len(report.sent) == 1 and len(handler.messages) == 1
        # a wrong password is refused, stays pending, and is not printed anywhere
        monkeypatch.setenv("CHISO_SMTP_PASSWORD", "wrong-" + secret)
        monkeypatch.setenv("CHISO_SMTP_TIMEOUT", "2")
        monkeypatch.setattr(alerts, "RETRY_SECONDS", (0.01, 0.01))
        store = alerts.AlertStore(alerts.state_path(db))
        store.add(
            alerts.Outgoing(
                "m-2",
                "digest",
                None,
                "vanphong.stttt@example.gov.vn",
                "s",
                "t",
                "<p>h</p>",
                [{"fingerprint": "y"}],
            ),
            "r2",
            dt.datetime.now(TZ),
        )
        store.close()
        report = alerts.run_alerts(db, plan, "r2")
        assert "m-2" in report.pending and len(handler.messages) == 1
    finally:
        controller.stop()
    assert secret not in caplog.text
    assert secret not in repr(mailer.smtp_settings())
    with sqlite3.connect(alerts.state_path(db)) as s:
        dump = "\n".join(s.iterdump())
    assert secret not in dump
    with sqlite3.connect(alerts.state_path(db)) as s:
        errors = [r[0] for r in s.execute("select last_error from alert_log") if r[0]]
    # aiosmtpd answers a wrong password by going silent; a real server answers 535
    assert any("login refused" in e or "before the message was handed over" in e for e in errors)


def test_preview_sends_and_changes_nothing(published, smtp_server, plan_owners_on):
    db, _ = published
    plan = load_plan(plan_owners_on)
    report = alerts.run_alerts(db, plan, "p", preview=True)
    assert report.mode == "preview"
    assert sorted(m.kind for m in report.messages) == ["digest", "owner", "owner"]
    assert smtp_server.messages == []
    assert _states(db) == {}


def test_hostile_names_are_escaped_in_html(published, smtp_server, plan_owners_on):
    db, _ = published
    plan = load_plan(plan_owners_on)
    report = alerts.run_alerts(db, plan, "p", preview=True)
    from flows.documents.render import render

    items = [
        {
            "index_name": "PAR", "appendix": 2, "unit_code": "X", "criterion_code": "1.1",
            "criterion_name": "<script>alert(1)</script>", "baseline_text": "1,0 điểm",
            "target_text": "> 1,0 điểm", "current_text": "0,0 điểm", "gap_text": "-1,0 điểm",
            "current_stage": "self_assessed", "small_sample": False, "status": "at_risk",
            "evidence_missing": False, "evidence_status": None, "change": "new",
            "told_text": "–",
            # a guidance text names the unit above in a results extract: escaped too
            "guidance_vi": "vượt <img src=x>", "guidance_note_vi": None,
        }
    ]
    html = render("owner.html.j2", plan=plan, owner_name="Phòng <b>", items=items,
                  now=dt.datetime.now(TZ), reminder=False)
    assert "<script>" not in html and "&lt;script&gt;" in html and "Phòng &lt;b&gt;" in html
    assert "<img" not in html and "vượt &lt;img src=x&gt;." in html
    assert report.messages


def test_settings_from_a_prefect_secret_block(prefect_server, monkeypatch):
    from prefect.blocks.system import Secret

    Secret(
        value={
            "host": "127.0.0.1",
            "port": 2525,
            "security": "none",
            "sender": "chiso@example.gov.vn",
            "user": "u",
            "password": "p@ss",
        }
    ).save("chiso-smtp-test", overwrite=True)
    monkeypatch.delenv("CHISO_SMTP_HOST", raising=False)
    monkeypatch.setenv("CHISO_SMTP_BLOCK", "chiso-smtp-test")
    settings = mailer.smtp_settings()
    assert (settings.host, settings.port, settings.security, settings.user) == (
        "127.0.0.1",
        2525,
        "none",
        "u",
    )
    assert "p@ss" not in repr(settings)


def _published_log(db) -> list[tuple]:
    with duckdb.connect(str(alerts.published_log_path(db)), read_only=True) as con:
        return con.execute("select kind, state, recipient from alert_log").fetchall()


def _identity(path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def test_the_alert_log_is_published_as_its_own_file(tmp_path, inbox, smtp_server):
    """The run's own messages are in the published alert log as soon as alerting is done, in
    a file of its own, swapped in like the results; the results file is not touched."""
    db = tmp_path / "var" / "chiso.duckdb"
    _, plan, _ = build_db(db, inbox, PLAN)
    before = _identity(db)
    report = alerts.run_alerts(db, plan, "r1")
    assert report.log_path == str(alerts.published_log_path(db))
    assert _published_log(db) == [("digest", "sent", "vanphong.stttt@example.gov.vn")]
    assert _identity(db) == before  # never opened for writing once published
    log_before = _identity(alerts.published_log_path(db))
    # a night with nothing new and nothing due rewrites neither file
    alerts.run_alerts(db, plan, "r2")
    assert _identity(alerts.published_log_path(db)) == log_before
    assert _identity(db) == before


@pytest.mark.real_process
def test_readers_holding_either_file_block_nothing(tmp_path, inbox, smtp_server):
    """Another process holds the results and the alert log open read-only: the messages go,
    the alert log is republished (the reader keeps the state it opened), nothing waits."""
    db = tmp_path / "var" / "chiso.duckdb"
    _, plan, _ = build_db(db, inbox, PLAN)
    alerts.run_alerts(db, plan, "r0", now=dt.datetime(2026, 3, 2, 1, tzinfo=TZ))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; a = duckdb.connect(sys.argv[1],"
         " read_only=True); b = duckdb.connect(sys.argv[2], read_only=True);"
         " print('open', flush=True); sys.stdin.read();"
         " print(b.execute('select count(*) from alert_log').fetchall()[0][0])",
         str(db), str(alerts.published_log_path(db))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        set_par_self_score(inbox, "STTTT", 2024, "7.1.2", "0.5")
        build_db(db, inbox, PLAN)
        report = alerts.run_alerts(db, plan, "r1", now=dt.datetime(2026, 3, 3, 1, tzinfo=TZ))
    finally:
        out, _ = holder.communicate("", timeout=30)
    assert len(smtp_server.messages) == 2 and len(report.sent) == 1
    assert out.strip() == "1"  # the reader saw the log it opened, whole
    assert [r[1] for r in _published_log(db)] == ["sent", "sent"]
    assert _states(db) == {m: "sent" for m in _states(db)}


@pytest.mark.parametrize("security", ["ssl"])
def test_implicit_tls(published, monkeypatch, tls_cert, security):
    db, plan = published
    cert, key = tls_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    for k, v in {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECURITY": security,
        "SENDER": "chiso@example.gov.vn",
        "CA_FILE": str(cert),
    }.items():
        monkeypatch.setenv(f"CHISO_SMTP_{k}", v)
    try:
        report = alerts.run_alerts(db, plan, "r1")
    finally:
        controller.stop()
    assert len(report.sent) == 1 and len(handler.messages) == 1


def test_the_gaps_fingerprint_changes_with_any_row_state_not_with_row_order():
    """The digest's "anything changed" number: one criterion's status, value, target, stage or
    evidence changing moves it, and so do two criteria trading states; the order rows are
    stored in does not; an empty mart has one too."""
    con = duckdb.connect()
    con.execute(
        "create table criterion_gaps (index_name varchar, appendix integer, unit_code varchar,"
        " criterion_code varchar, status varchar, current_value decimal(20, 8),"
        " target_value decimal(20, 8), current_stage varchar, evidence_missing boolean)"
    )
    # the running plan's rows count (plan_settings.plan_id); another plan's never do
    con.execute("alter table criterion_gaps add column plan_id varchar default 'p'")
    con.execute("create table plan_settings as select 'p' as plan_id")

    def fingerprint() -> str:
        return con.execute(alerts.GAPS_FINGERPRINT_SQL).fetchone()[0]

    empty = fingerprint()
    rows = [
        ("PAR", 2, "STTTT", "7.1.2", "missed", "0.25", "0.5", "self_assessed", False),
        ("PAR", 1, "STTTT", "7.1.1", "met", "1", "1", "appraised", False),
        ("SIPAS", 3, "STTTT", "1.1", "at_risk", "70", "80", "interim", False),
        ("PAPI", None, "HN", "D1", "no_data", None, None, None, False),
    ]
    con.executemany("insert into criterion_gaps values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'p')", rows)
    base = fingerprint()
    assert base != empty
    seen = {base}
    for column, value in (("status", "'met'"), ("current_value", "0.5"),
                          ("target_value", "0.25"), ("current_stage", "'appraised'"),
                          ("evidence_missing", "true")):
        con.execute(f"update criterion_gaps set {column} = {value} where criterion_code = '7.1.2'")
        seen.add(fingerprint())
        con.execute("delete from criterion_gaps")
        con.executemany("insert into criterion_gaps values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'p')", rows)
    assert len(seen) == 6 and fingerprint() == base
    # two criteria trading their states
    con.execute("update criterion_gaps set status = case status when 'missed' then 'met'"
                " else 'missed' end where criterion_code in ('7.1.1', '7.1.2')")
    assert fingerprint() != base
    # the same rows stored in another order
    con.execute("delete from criterion_gaps")
    con.executemany("insert into criterion_gaps values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'p')",
                    rows[::-1])
    assert fingerprint() == base
    # a continued plan's rows in the same mart
    con.executemany("insert into criterion_gaps values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'earlier')",
                    [(*r[:4], "missed", *r[5:]) for r in rows])
    assert fingerprint() == base


@pytest.mark.parametrize("env, says", [
    ({"CHISO_SMTP_HOST": "mail.local", "CHISO_SMTP_SENDER": "a@b.vn",
      "CHISO_SMTP_SECURITY": "tls13"},
     "biến môi trường CHISO_SMTP_*: security cần là starttls, ssl hoặc none (đang là 'tls13')"),
    ({"CHISO_SMTP_HOST": "mail.local"},
     "biến môi trường CHISO_SMTP_*: cần sender (địa chỉ người gửi, From)"),
    ({"CHISO_SMTP_HOST": "mail.local", "CHISO_SMTP_SENDER": "a@b.vn",
      "CHISO_SMTP_PORT": "hai năm"},
     "biến môi trường CHISO_SMTP_*: port cần là một số"),
])
def test_smtp_settings_that_cannot_work_are_refused_in_vietnamese(monkeypatch, env, says):
    for k in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD", "SENDER", "CA_FILE", "TIMEOUT",
              "BLOCK"):
        monkeypatch.delenv(f"CHISO_SMTP_{k}", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as err:
        mailer.smtp_settings()
    assert str(err.value) == says
