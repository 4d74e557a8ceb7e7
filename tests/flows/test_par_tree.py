"""A PAR tree that does not add up is reported, from the file to the Office: the sample's 2024
sub-criterion 2.2.2 raised from 0,7 to 1,4 while criterion 2.2 still says 2,2 (its children now
sum to 2,9, which would beat its target of > 2,7)."""

from __future__ import annotations

import shutil
from decimal import Decimal

from flows.documents.report import load as load_report
from flows.documents.report import render_html
from flows.documents.summary import render
from flows.intake.ingest import check_files, render_check
from flows.notify import alerts
from flows.plan import load_plan
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db, set_par_self_score

LINE = "2.2 Rà soát, hệ thống hóa văn bản quy phạm pháp luật (STTTT): năm 2024 ghi 2,2 điểm," \
       " tổng các tiêu chí con 2,9 điểm"


def _inbox(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    set_par_self_score(inbox, "STTTT", 2024, "2.2.2", "1.4")
    return inbox


def test_check_warns_and_loads_naming_the_criterion_and_both_values(tmp_path):
    path = _inbox(tmp_path) / "par_index_stttt.csv"
    (outcome,) = check_files([path])
    assert outcome.status == "loaded"
    (warning,) = outcome.warnings
    assert "điểm tự đánh giá ghi 2.2" in warning and "tổng điểm các tiêu chí con: 2,9" in warning
    assert "đơn vị STTTT, năm 2024, tiêu chí 2.2" in warning and "dòng 120" in warning
    assert str(path) in render_check([outcome]) and warning in render_check([outcome])


def test_the_run_summary_digest_and_report_list_the_criterion(tmp_path, monkeypatch):
    for var in ("CHISO_SMTP_HOST", "CHISO_SMTP_BLOCK"):
        monkeypatch.delenv(var, raising=False)
    db = tmp_path / "var" / "chiso.duckdb"
    summary, plan, _ = build_db(db, _inbox(tmp_path), PLAN)
    par = next(e for e in summary.extracts if e.file == "par_index_stttt.csv")
    assert par.status == "loaded" and any("2,9" in w for w in par.warnings)
    text = render(summary, str(db))
    assert LINE in text
    # the target is judged on the stated value: 2,2 self-assessed, still at risk
    (row,) = summary.tree_mismatches
    assert row["criterion_code"] == "2.2" and row["current_value"] == Decimal("2.2")
    assert row["children_value"] == Decimal("2.9")
    at_risk = [r for r in summary.off_track if r["criterion_code"] == "2.2"
               and r["index_name"] == "PAR"]
    assert [r["status"] for r in at_risk] == ["at_risk"]
    report = alerts.run_alerts(db, load_plan(PLAN), "r1")
    (eml,) = alerts.outbox_path(db).glob("*.eml")
    assert report.written and _digest_text(eml).count(LINE) == 1
    html = render_html(load_report(db))
    assert LINE in html


def _digest_text(eml) -> str:
    import email
    from email import policy

    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    return msg.get_body(("plain",)).get_content()
