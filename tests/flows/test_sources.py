"""Extract kinds are declared once (sql/sources/<table>.yml) and each declaration is whole: a
kind that lacks a part (its staging model, its checks, its rules, a template that reads as its
layout, its documentation, a reader test) fails here, before anyone finds out at night."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.intake import kinds, readers, supersede
from flows.intake.kinds import KINDS, SOURCES
from flows.warehouse import models
from tests.conftest import ROOT

MEASURES = {"n_rows", "n_missing_required", "n_not_a_number", "n_bad_code", "n_out_of_range",
            "n_duplicate_key", "n_bad_unit", "invalid_answer_pct"}


@pytest.mark.parametrize("table", sorted(SOURCES))
def test_a_source_declares_every_part(table):
    s = SOURCES[table]
    assert s.label_vi and s.columns and s.rules
    assert set(s.required) <= set(s.columns) and set(s.key) <= set(s.columns)
    assert set(s.slice) <= set(s.columns) and s.overlap in s.columns
    assert all(c in kinds.ALIASES and c in kinds.COLUMN_LABELS_VI for c in s.columns)
    # its staging model reads its raw table; its problems model exists (a check model)
    assert f"raw_{table}" in models.model(s.staging).reads
    assert models.model(s.staging).layer == "staging"
    assert models.model(s.checks).layer == "checks"
    # its rules: a file needs rows, and every measure is one the profile computes
    assert s.rules[0].measure == "n_rows" and s.rules[0].min == 1
    assert {r.measure for r in s.rules} <= MEASURES
    # the raw table, supersede's slices and the input checks all come from here
    assert kinds.TABLE_COLUMNS[table] == s.columns
    assert supersede.SLICES[table] == (s.slice, s.overlap)
    assert models.PROBLEM_MODELS[table] == s.checks


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
def test_a_layouts_template_reads_as_that_layout(kind, tmp_path):
    layout = kinds.KINDS_BY_NAME[kind]
    template = ROOT / layout.template
    assert template.exists(), template
    (part,) = readers.inspect(template, template.name)
    assert part.kind == kind


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
def test_a_layout_is_documented_and_has_reader_tests(kind):
    assert f"`{kind}`" in (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    tests = "".join(p.read_text(encoding="utf-8")
                    for p in (ROOT / "tests" / "flows").glob("test_read*.py"))
    assert kind in tests, f"no reader test names {kind}"


def test_a_source_without_its_staging_model_is_caught(monkeypatch):
    broken = SOURCES["sipas_rates"]
    monkeypatch.setitem(SOURCES, "sipas_rates",
                        type(broken)(**{**broken.__dict__, "staging": "stg_missing"}))
    with pytest.raises(KeyError):
        test_a_source_declares_every_part("sipas_rates")


def test_recognition_order_lists_every_layout_once():
    assert len({k.name for k in KINDS}) == len(KINDS)
    assert Path(kinds.SOURCES_DIR / "_columns.yml").exists()
