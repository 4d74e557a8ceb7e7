"""The real flow with a local SMTP server: the expected messages arrive once; a second run of
the same night sends nothing new; results are published before anything is sent."""

from __future__ import annotations

import shutil

import duckdb

from flows.notify import alerts
from tests.conftest import SAMPLE


def test_two_runs_send_each_message_once(prefect_server, smtp_server, plan_owners_on, tmp_path):
    from flows.nightly import nightly

    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    db = tmp_path / "chiso.duckdb"
    first = nightly(inbox=str(inbox), plan=str(plan_owners_on), db=str(db))
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == ["cntt.stttt@example.gov.vn", "vanphong.stttt@example.gov.vn",
                        "vanphong.stttt@example.gov.vn"]
    assert len(first.alerts.sent) == 3
    # every number an email cites is in the published database
    with duckdb.connect(str(db), read_only=True) as con:
        n_cntt = con.execute(
            "select count(*) from criterion_gaps where owner_unit = 'CNTT'"
            " and status in ('missed', 'at_risk')").fetchall()[0][0]
    cntt = next(m for m in smtp_server.messages if m["To"].startswith("cntt"))
    assert f"{n_cntt} tiêu chí chưa đạt mục tiêu" in cntt["Subject"]

    second = nightly(inbox=str(inbox), plan=str(plan_owners_on), db=str(db))
    assert len(smtp_server.messages) == 3
    assert second.alerts.sent == [] and second.alerts.created == []
    with duckdb.connect(str(alerts.published_log_path(db)), read_only=True) as con:
        log = con.execute("select kind, state from alert_log order by kind").fetchall()
    assert log == [("digest", "sent"), ("owner", "sent"), ("owner", "sent")]
    assert alerts.state_path(db).exists()
