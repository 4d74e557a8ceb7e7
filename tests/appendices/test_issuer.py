"""The plan's optional `issuer` key: validated by the schema, defaulted sensibly when absent."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
import yaml

from flows.documents.appendices import Issuer, words, write_appendices
from flows.errors import PlanError
from flows.plan import load_plan
from tests.conftest import PLAN


def plan_with(tmp_path: Path, issuer) -> Path:
    raw = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    if issuer is None:
        raw.pop("issuer", None)
    else:
        raw["issuer"] = issuer
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def attached_to(issuer: Issuer) -> str:
    return words({}, issuer)["heading"]["attached_to"]


def test_the_sample_plan_names_the_department():
    issuer = Issuer.from_plan(load_plan(PLAN).raw)
    assert issuer.governing_body == "UBND tỉnh Bắc Kạn"
    assert issuer.name == "Sở Thông tin và Truyền thông"
    assert issuer.place == "Bắc Kạn"
    assert attached_to(issuer) == ("(Kèm theo Kế hoạch số …/KH-STTTT ngày … của Sở Thông tin "
                                   "và Truyền thông)")


def test_without_issuer_the_province_names_the_governing_body(tmp_path):
    issuer = Issuer.from_plan(load_plan(plan_with(tmp_path, None)).raw)
    assert issuer.governing_body == "UBND tỉnh Bắc Kạn" and issuer.place == "Bắc Kạn"
    assert attached_to(issuer) == "(Kèm theo Kế hoạch số … ngày … của …)"
    assert Issuer.from_plan({}).governing_body is None


def test_a_signed_plan_fills_number_and_date(tmp_path, published):
    path = plan_with(tmp_path, {"governing_body": "UBND tỉnh Thái Nguyên",
                                "name": "Sở Khoa học và Công nghệ", "place": "Thái Nguyên",
                                "document_number": "125/KH-SKHCN", "date": "08/6/2024"})
    issuer = Issuer.from_plan(load_plan(path).raw)
    assert issuer.date_parts() == ("08", "6", "2024")
    assert Issuer(date="5/2/2025").date_parts() == ("05", "02", "2025")  # NĐ 30: 0 before 1, 2
    docx_path, _ = write_appendices(published, tmp_path / "out", load_plan(path).raw)
    doc = docx.Document(str(docx_path))
    left, right = doc.tables[0].rows[0].cells
    assert [p.text for p in left.paragraphs if p.text] == ["UBND TỈNH THÁI NGUYÊN",
                                                          "SỞ KHOA HỌC VÀ CÔNG NGHỆ"]
    assert "Thái Nguyên, ngày 08 tháng 6 năm 2024" in [p.text for p in right.paragraphs]
    assert ("(Kèm theo Kế hoạch số 125/KH-SKHCN ngày 08/6/2024 của Sở Khoa học và Công nghệ)"
            in [p.text for p in doc.paragraphs])


@pytest.mark.parametrize("issuer, key", [
    ({"nmae": "Sở X"}, "issuer.nmae"),
    ({"date": "2024-06-08"}, "issuer.date"),
    ({"name": ""}, "issuer.name"),
])
def test_a_wrong_issuer_is_refused_by_key(tmp_path, issuer, key):
    with pytest.raises(PlanError, match=rf": {key}: "):
        load_plan(plan_with(tmp_path, issuer))
