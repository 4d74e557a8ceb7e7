"""The province digest to the monitoring office, over a real SMTP exchange (aiosmtpd on
loopback): after a province run, once; not again when nothing changed; again when a plan's run
fails (what it says changed)."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from flows.notify import alerts
from flows.province import run
from tests.alerts.conftest import Inbox, free_port, point_smtp_at
from tests.province.conftest import rows


@pytest.fixture
def smtp(monkeypatch):
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    point_smtp_at(monkeypatch, port, SENDER="chiso@thainguyen.example.gov.vn")
    monkeypatch.setattr(alerts, "RETRY_SECONDS", (0.01, 0.01))
    yield handler
    controller.stop()


def test_the_monitoring_office_gets_the_digest_once_per_change(province, plan_runs, smtp,
                                                                tmp_path):
    out = tmp_path / "out"
    summary = run.province_run.fn(folder=str(province), out=str(out))
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "theodoi.snv@example.gov.vn"
    assert msg["Subject"].startswith("[chiso] Tỉnh Thái Nguyên, ngày ")
    assert "5/5 kế hoạch đã công bố" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith("Kính gửi Sở Nội vụ tỉnh Thái Nguyên,")
    for plan_id in ("so-khcn", "so-noi-vu", "so-tai-chinh", "xa-dai-tu", "xa-phuc-thuan"):
        assert f"({plan_id}): " in text
    assert summary.digest.sent and not summary.digest.pending

    run.province_run.fn(folder=str(province), out=str(out))  # nothing changed
    assert len(smtp.messages) == 1

    plan_runs.add("so-noi-vu")
    run.province_run.fn(folder=str(province), out=str(out))
    assert len(smtp.messages) == 2
    text = smtp.messages[1].get_body(("plain",)).get_content()
    line = next(x for x in text.splitlines() if "(so-noi-vu): " in x)
    assert "(so-noi-vu): lượt chạy này lỗi (transform failed (test)); số liệu dưới đây là của" \
        " lần công bố lúc " in line
    # the stale plan's last published numbers, as the province file holds them
    (n_off, n1, n2, n3, n4), = rows(out / "province.duckdb", "select n_off_track, n_off_1,"
                                    " n_off_2, n_off_3, n_off_4 from rpt_province__plans"
                                    " where plan_id = 'so-noi-vu'")
    assert n_off > 0
    assert f": {n_off} tiêu chí chưa đạt (PL1: {n1}, PL2: {n2}, PL3: {n3}, PL4: {n4})" in line
    assert "4/5 kế hoạch đã công bố" in smtp.messages[1]["Subject"]
