"""SQL model tests, the sqlmesh way: tiny raw rows into an in-memory DuckDB, run the models,
compare the rows that come out.

The `wh` fixture is a fresh in-memory warehouse (macros, empty raw tables, reference table)
with helpers to add raw text rows, write a plan, run every model and read criterion_gaps.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from flows import plan as plan_mod
from flows.intake.kinds import TABLE_COLUMNS
from flows.warehouse import db, models

# The structure of data/plan.yaml, with test-sized values: one assessed unit U1, one
# province, every rule on. Tests override what they need with wh.plan({...}).
BASE_PLAN: dict[str, Any] = {
    "title": "Kế hoạch thử nghiệm",
    "baseline_year": 2023,
    "target_year": 2024,
    "units": ["U1"],
    "provinces": ["Bắc Kạn"],
    "rules": {
        "par_keep_max": {},
        "par_beat_baseline": {},
        "sipas_raise_low": {
            "increase": 10,
            "mode": "percentage_points",
            "low": {"below": 80},
            "small_sample_n": 30,
        },
        "papi_raise_low": {"increase": 0.1, "low": {"below_mean": True}},
    },
    "office": "VP",
    "owner_units": {
        "VP": {"name": "Văn phòng Sở", "email": "vp@example.gov.vn"},
        "CNTT": {
            "name": "Phòng Công nghệ thông tin – Bưu chính, Viễn thông",
            "email": "cntt@example.gov.vn",
        },
    },
    "owners": [
        {"match": "PAR:*", "owner": "VP"},
        {"match": "SIPAS:*", "owner": "VP"},
        {"match": "PAPI:*", "owner": "VP"},
        {"match": "PAR:7", "owner": "CNTT"},
        {"match": "PAPI:D8", "owner": "CNTT"},
    ],
}

# every column of criterion_gaps that holds a DECIMAL must come back as one
DECIMAL_COLUMNS = ("baseline_value", "max_value", "target_value", "current_value", "gap")


def merged(base: dict, changes: dict) -> dict:
    """base with changes applied: nested dicts merge, other values replace."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and value:
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class Warehouse:
    """An in-memory DuckDB set up like a run's build file, plus test helpers."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.con = duckdb.connect(":memory:")
        db.install_macros(self.con)
        db.create_raw_tables(self.con)
        db.load_reference(self.con)
        self.plan_written = False
        self._gaps: list[dict[str, Any]] | None = None  # criterion_gaps of the last run
        self._next_row = 2  # header = row 1, as a person sees it

    # --- raw rows -------------------------------------------------------------------------

    def insert(self, table: str, rows: list[dict[str, Any]], source_file: str | None = None
               ) -> None:
        """Append text rows to raw_<table>; missing columns are NULL, numbers become text,
        provenance is filled with dummy values (a distinct source_row per row)."""
        columns = TABLE_COLUMNS[table]
        for row in rows:
            unknown = set(row) - set(columns)
            assert not unknown, f"raw_{table} has no column(s) {unknown}"
            values = [None if row.get(c) is None else str(row[c]) for c in columns]
            self.con.execute(
                f"insert into raw_{table} values ({', '.join('?' * (len(columns) + 4))})",
                [*values, source_file or f"test_{table}.csv", None, "0" * 64, self._next_row],
            )
            self._next_row += 1
        self._gaps = None

    def par(self, *rows: tuple) -> None:
        """PAR rows as (unit, year, code, max, self, appraised[, name])."""
        self.insert("par_scores", [
            {
                "unit_code": r[0], "year": r[1], "criterion_code": r[2], "max_points": r[3],
                "self_score": r[4], "appraised_score": r[5],
                "criterion_name": r[6] if len(r) > 6 else f"Tiêu chí {r[2]}",
            }
            for r in rows
        ])

    def sipas_answers(self, year: int, unit: str, question: str, answers: list) -> None:
        """One answer per respondent (R1, R2, ...) to one question."""
        self.insert("sipas_answers", [
            {"year": year, "unit_code": unit, "respondent_id": f"R{i}",
             "question_code": question, "answer": a}
            for i, a in enumerate(answers, start=1)
        ])

    def sipas_rate(self, year: int, unit: str, code: str, rate: str, n: int) -> None:
        self.insert("sipas_rates", [
            {"year": year, "unit_code": unit, "criterion_code": code, "rate_pct": rate, "n": n}
        ])

    def sipas_criterion(self, code: str, element: int, name: str) -> None:
        self.insert("sipas_criteria", [
            {"question_code": code, "element": element, "criterion_name": name}
        ])

    def papi(self, *rows: tuple) -> None:
        """PAPI rows as (year, province, code, score) or (year, province, code, score, map)."""
        self.insert("papi_scores", [
            {"year": r[0], "province": r[1], "code": r[2], "score": r[3],
             "province_map": r[4] if len(r) > 4 else None} for r in rows
        ])

    # --- plan -----------------------------------------------------------------------------

    def plan(self, changes: dict | None = None, drop: list[str] = ()) -> plan_mod.Plan:
        """Write BASE_PLAN with changes (nested dicts merge) and without the dotted keys in
        drop (e.g. "rules.par_beat_baseline") as YAML, load it through flows.plan and write
        the plan_* tables."""
        raw = merged(BASE_PLAN, changes or {})
        for dotted in drop:
            *parents, last = dotted.split(".")
            node = raw
            for key in parents:
                node = node[key]
            del node[last]
        path = self.tmp_path / "plan.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        plan = plan_mod.load_plan(path)
        plan_mod.write_plan_tables(self.con, plan)
        self.plan_written = True
        self._gaps = None
        return plan

    # --- models ---------------------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        """Run every model (with the base plan unless one was written); criterion_gaps rows.
        The models run again only after new raw rows or a new plan."""
        if self._gaps is None:
            if not self.plan_written:
                self.plan()
            models.run_models(self.con)
            self._gaps = self.rows("select * from criterion_gaps")
        return self._gaps

    def rows(self, sql: str, params: list | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def gaps(self, **where: Any) -> list[dict[str, Any]]:
        """Run the models, then the criterion_gaps rows matching every column=value given."""
        rows = self.run()
        return [r for r in rows if all(r[k] == v for k, v in where.items())]

    def gap(self, **where: Any) -> dict[str, Any]:
        """The one criterion_gaps row matching every column=value given."""
        found = self.gaps(**where)
        assert len(found) == 1, f"expected one row for {where}, got {found}"
        row = found[0]
        for col in DECIMAL_COLUMNS:
            assert row[col] is None or isinstance(row[col], Decimal), (col, row[col])
        return row

    def value(self, sql: str, params: list | None = None) -> Any:
        return self.con.execute(sql, params or []).fetchall()[0][0]


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(tmp_path)
    yield w
    w.con.close()

