"""The rest of the plan on the bundled sample (issue 6), end to end: evidence readiness,
survey participation, ranks from the results extract and the key dates appear in the run
summary, the owner's email, the Office digest, the HTML report and the XLSX."""

from __future__ import annotations

import datetime as dt
import email
import re
import shutil
from email import policy

import duckdb
import openpyxl
import pytest

from flows.documents import report
from flows.documents.summary import render
from flows.notify import alerts
from flows.warehouse.run_records import TZ
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db

AS_OF = dt.datetime(2024, 10, 5, 1, 0, tzinfo=TZ)  # ten days before the self-assessment deadline


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("coverage")
    shutil.copytree(SAMPLE, tmp / "inbox")
    plan = tmp / "plan.yaml"
    plan.write_text(PLAN.read_text(encoding="utf-8").replace(
        "owner_emails: false", "owner_emails: true"), encoding="utf-8")
    db = tmp / "var" / "chiso.duckdb"
    summary, the_plan, run = build_db(db, tmp / "inbox", plan, when=AS_OF)
    return tmp, db, summary, the_plan, run


def _messages(db, monkeypatch, the_plan, run) -> dict[str, email.message.EmailMessage]:
    for var in ("CHISO_SMTP_HOST", "CHISO_SMTP_BLOCK"):
        monkeypatch.delenv(var, raising=False)
    alerts.run_alerts(db, the_plan, run.run_id, now=AS_OF)
    out = {}
    for eml in alerts.outbox_path(db).glob("*.eml"):
        msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        out[msg["To"]] = msg
    return out


def test_the_sample_covers_each_item(sample):
    _, db, summary, _, _ = sample
    with duckdb.connect(str(db), read_only=True) as con:
        missing = [r[0] for r in con.execute(
            "select criterion_code from criterion_gaps where evidence_missing order by all"
        ).fetchall()]
        explained = [r[0] for r in con.execute(
            "select criterion_code from criterion_gaps where evidence_status = 'explanation_only'"
            " order by all").fetchall()]
        lagging = con.execute("select unit_code, response_rate_pct::varchar from"
                              " participation_targets where status = 'lagging' and year = 2024"
                              " order by all").fetchall()
        par_rank = con.execute("select member, baseline_rank, current_rank, status"
                               " from rank_targets where index_name = 'PAR'").fetchall()
    # no evidence for 1.6, 2.3, 3.4.2, 7.3.4 (and so for 3.4 and 7.3 above them)
    assert missing == ["1.6", "2.3", "3.4", "3.4.2", "7.3", "7.3.4"]
    assert explained == ["6.3", "7.3.2"]  # the register holds only an explanation
    assert lagging == [("CNTT", "75.000000"), ("TTCNTT", "33.333333")]
    assert par_rank == [("Sở Thông tin và Truyền thông", 10, 9, "met")]
    assert summary.n_evidence_missing == 6


def test_the_run_summary_tells_each_item(sample):
    _, db, summary, _, _ = sample
    text = render(summary, str(db))
    assert "tự chấm có điểm nhưng thiếu tài liệu kiểm chứng: 6" in text
    assert "Có nguy cơ · thiếu TLKC" in text  # 1.6, beside its status
    assert ("Phòng Công nghệ thông tin – Bưu chính, Viễn thông (PAR): đã trả lời 3/4 phiếu"
            " (75,00%; mục tiêu 100,00%)") in text
    assert re.search(r"PAR\s+Sở Thông tin và Truyền thông\s+Tổng\s+10/18\s+9/18\s+Đạt", text)
    # each key date with its days left, then what is still open for them, said once
    assert "Hạn nộp báo cáo tự đánh giá Chỉ số CCHC năm 2024 [PAR] (15/10/2024): còn 10 ngày\n" \
        in text
    assert text.count("Việc còn tồn đọng cho các mốc của PAR: ") == 1


def test_the_owner_and_the_office_are_told(sample, monkeypatch):
    _, db, _, the_plan, run = sample
    messages = _messages(db, monkeypatch, the_plan, run)
    cntt = messages["cntt.stttt@example.gov.vn"].get_body(("plain",)).get_content()
    assert "- [Mới] PAR 7.3.4 " in cntt and "Chưa có số liệu; thiếu tài liệu kiểm chứng" in cntt
    assert "7.3.2" not in cntt  # met, explained without a document: shown in the report only
    digest = messages["vanphong.stttt@example.gov.vn"]
    if "Tổng hợp" not in digest["Subject"]:  # VP gets its owner email and the digest
        digest = next(m for m in (email.message_from_bytes(p.read_bytes(), policy=policy.default)
                                  for p in alerts.outbox_path(db).glob("*digest*.eml")))
    body = digest.get_body(("plain",)).get_content()
    assert ("- Kỳ điều tra xã hội học (phát và thu phiếu) [PAR] (01/08/2024 – 30/09/2024):"
            " đã qua 5 ngày") in body
    assert ("- Hạn nộp báo cáo tự đánh giá Chỉ số CCHC năm 2024 [PAR] (15/10/2024): còn 10 ngày\n"
            in body)
    assert body.count("Việc còn tồn đọng cho các mốc của PAR: ") == 1
    assert "6 tiêu chí thiếu tài liệu kiểm chứng (1.6, 2.3, 3.4, 3.4.2, 7.3, 7.3.4)" in body
    assert "2 đơn vị chưa trả lời đủ phiếu (CNTT, TTCNTT)" in body
    assert "- TTCNTT (PAR): đã trả lời 1/3 phiếu (33,33%; mục tiêu 100,00%)" in body
    assert "- PAPI Bắc Kạn Tổng: hạng 22/61 (bản đồ 63 tỉnh) → 22/61" in body


def test_the_report_shows_each_item(sample):
    tmp, db, _, _, _ = sample
    html_path, xlsx_path = report.write_report(db, tmp / "report")
    page = html_path.read_text(encoding="utf-8")
    assert page.count('class="tag tag-ev"') >= 6 and "thiếu TLKC" in page
    assert '<section id="tien-do">' in page and "Phiếu điều tra xã hội học" in page
    assert "Sở Thông tin và Truyền thông" in page and "10/18" in page and "9/18" in page
    assert "còn 10 ngày" in page
    sheet = openpyxl.load_workbook(xlsx_path, read_only=True)["PAR – Phụ lục 1"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "Thiếu TLKC" in r)
    code, flag = header.index("Mã tiêu chí"), header.index("Thiếu TLKC")
    assert {r[code] for r in rows if r and r[flag] == "Có"} >= {"1.6", "2.3"}


def test_the_sample_survey_marked_interim_is_provisional(tmp_path):
    """The bundled 2024 SIPAS workbook, dropped in under an interim name: its rates below
    target are at risk, not missed, and read as interim survey results."""
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    (inbox / "sipas_answers_2024.xlsx").rename(inbox / "sipas_answers_2024_tam_thoi.xlsx")
    db = tmp_path / "chiso.duckdb"
    summary, _, _ = build_db(db, inbox, PLAN, when=AS_OF)
    with duckdb.connect(str(db), read_only=True) as con:
        sipas = con.execute(
            "select current_stage, status, count(*) from criterion_gaps"
            " where index_name = 'SIPAS' group by all order by all").fetchall()
    assert sipas == [("interim", "at_risk", 14), ("interim", "met", 4)]  # 14 missed when final
    text = render(summary, str(db))
    assert "(khảo sát tạm thời)" in text
    assert re.search(r"^SIPAS\s+3\s+18\s+4\s+0\s+14\s+0\s+0\s*$", text, re.M)  # at risk, not missed
