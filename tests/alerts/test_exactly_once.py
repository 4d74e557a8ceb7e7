"""Each email goes out once, whatever fails, and the counts say so. A real SMTP server on
loopback refuses, then recovers: the Office gets one digest and each owner one message; the
run's summary counts are the alert log's."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from flows.documents.summary import render_alerts
from flows.notify import alerts
from flows.plan import load_plan
from tests.alerts.conftest import Inbox, free_port, point_smtp_at

TZ = alerts.TZ
DAY1 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=TZ)
OFFICE = "vanphong.stttt@example.gov.vn"
CNTT = "cntt.stttt@example.gov.vn"


def _log(db) -> list[dict]:
    with sqlite3.connect(alerts.state_path(db)) as s:
        s.row_factory = sqlite3.Row
        return [dict(r) for r in s.execute("select * from alert_log order by created_at")]


def _assert_counts_are_the_logs(db, report) -> None:
    """The report (hence the summary) counts what the alert log holds."""
    log = _log(db)
    states = Counter(r["state"] for r in log)
    assert len(report.pending) == states["pending"]
    assert len(report.unknown) == states["unknown"]
    text = render_alerts(report)
    if states["pending"]:
        assert f"{states['pending']} thư chưa gửi được" in text
    else:
        assert "chưa gửi được, sẽ thử lại" not in text


class RefuseRecipient(Inbox):
    """Refuses one recipient at RCPT (550), takes the others."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def owners_plan(plan_owners_on):
    return load_plan(plan_owners_on)


@pytest.mark.parametrize("days_later", [0, 1], ids=["same-day", "next-day"])
def test_a_server_down_then_back_delivers_one_digest_and_one_message_per_owner(
    published, owners_plan, monkeypatch, days_later
):
    db, _ = published
    port = free_port()  # nothing listens: the connection is refused
    point_smtp_at(monkeypatch, port)
    monkeypatch.setattr(alerts, "RETRY_SECONDS", (0.01, 0.01))
    first = alerts.run_alerts(db, owners_plan, "r1", now=DAY1)
    log = _log(db)
    assert {r["kind"] for r in log} == {"owner", "digest"} and len(log) == 3
    assert all(r["state"] == "pending" for r in log)
    # the documented number of attempts, once per run: the first message three times, then
    # the server is known to be down and the others wait untried
    assert sorted(r["attempts"] for r in log) == [0, 0, alerts.SEND_ATTEMPTS]
    assert first.unreachable and first.sent == []
    _assert_counts_are_the_logs(db, first)

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        later = DAY1 + dt.timedelta(days=days_later, hours=1)
        second = alerts.run_alerts(db, owners_plan, "r2", now=later)
        third = alerts.run_alerts(db, owners_plan, "r3", now=later + dt.timedelta(hours=1))
    finally:
        controller.stop()
    received = Counter(m["To"] for m in handler.messages)
    assert received == {OFFICE: 2, CNTT: 1}  # the Office: its own message and one digest
    digests = [m for m in handler.messages if m["Subject"].startswith("[chiso] Tổng hợp")]
    assert len(digests) == 1
    # the digest sent says nothing is still pending: it was planned after the owners' went
    assert "chưa gửi được" not in digests[0].get_body(("plain",)).get_content()
    assert third.sent == [] and third.created == []
    _assert_counts_are_the_logs(db, second)
    states = Counter(r["state"] for r in _log(db))
    assert states["pending"] == 0 and states["sent"] == 3
    # a held-back message is replaced by the next run's of the same kind, never sent beside it
    assert states["superseded"] == (3 if days_later else 1)
    assert len(second.superseded) == states["superseded"]
    assert "được thay bằng thư mới" in render_alerts(second)


def test_a_refused_recipient_is_retried_alone_and_delivered_once(
    published, owners_plan, monkeypatch
):
    db, _ = published
    handler = RefuseRecipient(CNTT)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    point_smtp_at(monkeypatch, port)
    monkeypatch.setattr(alerts, "RETRY_SECONDS", (0.01, 0.01))
    try:
        first = alerts.run_alerts(db, owners_plan, "r1", now=DAY1)
        assert Counter(m["To"] for m in handler.messages) == {OFFICE: 2}
        refused = [r for r in _log(db) if r["recipient"] == CNTT]
        assert [(r["state"], r["attempts"]) for r in refused] == [
            ("pending", alerts.SEND_ATTEMPTS)]
        assert "RCPT TO" in refused[0]["last_error"]
        assert not first.unreachable  # the server answers: the other messages went
        _assert_counts_are_the_logs(db, first)
        digest = next(m for m in handler.messages if m["Subject"].startswith("[chiso] Tổng hợp"))
        assert "chưa gửi được, sẽ thử lại" in digest.get_body(("plain",)).get_content()

        handler.refused = None  # the mailbox is back
        second = alerts.run_alerts(db, owners_plan, "r2", now=DAY1 + dt.timedelta(hours=1))
    finally:
        controller.stop()
    received = Counter(m["To"] for m in handler.messages)
    assert received[CNTT] == 1
    owners = [m for m in handler.messages if not m["Subject"].startswith("[chiso] Tổng hợp")]
    assert Counter(m["To"] for m in owners) == {OFFICE: 1, CNTT: 1}
    _assert_counts_are_the_logs(db, second)
    assert second.pending == []


def test_a_value_that_changes_back_the_same_day_is_news_again(
    tmp_path, inbox, smtp_server, owners_plan
):
    from tests.conftest import PLAN
    from tests.helpers import build_db, set_par_self_score

    db = tmp_path / "var" / "chiso.duckdb"
    for n, score in enumerate(("0.5", "0.25", "0.5")):
        set_par_self_score(inbox, "STTTT", 2024, "7.1.2", score)
        build_db(db, inbox, PLAN)
        alerts.run_alerts(db, owners_plan, f"r{n}", now=DAY1 + dt.timedelta(hours=n))
    to_cntt = [m for m in smtp_server.messages if m["To"] == CNTT]
    digests = [m for m in smtp_server.messages if m["Subject"].startswith("[chiso] Tổng hợp")]
    assert len(to_cntt) == 3 and len(digests) == 3
    assert "[Đã đạt] PAR 7.1.2" in to_cntt[-1].get_body(("plain",)).get_content()
