"""Ingest one extract file: read it, check it in SQL and with its GX input suite, and append
it to its raw table only if every part of it passes. A rejected file changes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from flows import checks, readers, warehouse
from flows.errors import ExtractError, Problem

log = logging.getLogger(__name__)
MAX_PROBLEMS_KEPT = 200  # per part, in extract_problems
EXAMPLES_IN_MESSAGE = 3


@dataclass
class PartOutcome:
    sheet: str | None
    kind: str
    table: str
    n_rows: int


@dataclass
class ExtractOutcome:
    """What happened to one file in this run."""

    file: str
    sha256: str
    status: str  # loaded | rejected
    parts: list[PartOutcome] = field(default_factory=list)
    message: str = ""  # for people (Vietnamese)
    problems: list[Problem] = field(default_factory=list)
    checks: list[checks.Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return sum(p.n_rows for p in self.parts)

    @property
    def kinds(self) -> str:
        return ", ".join(sorted({p.kind for p in self.parts}))


def _problem_rows(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    rows = warehouse.fetch_all(
        con,
        "select source_file, source_sheet, source_row, column_name, value, problem, expected"
        " from incoming_problems order by source_row, column_name limit ?",
        [MAX_PROBLEMS_KEPT],
    )
    return [
        Problem(file=f, sheet=s, row=r, column=c, value=v, expected=e, kind=k)
        for f, s, r, c, v, k, e in rows
    ]


def _describe(problems: list[Problem]) -> str:
    def one(p: Problem) -> str:
        where = ", ".join(
            x for x in (
                f"trang tính {p.sheet}" if p.sheet else "",
                f"dòng {p.row}" if p.row is not None else "",
                f"cột {p.column}" if p.column else "",
            ) if x
        )
        got = f": giá trị {p.value!r}" if p.value is not None else ""
        return f"{where}{got} — cần {p.expected}"

    return "; ".join(one(p) for p in problems[:EXAMPLES_IN_MESSAGE])


def ingest_file(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> ExtractOutcome:
    """Load one file into the raw tables, or reject it whole with problems a person can act on."""
    sha256 = readers.sha256_of(path)
    outcome = ExtractOutcome(file=name, sha256=sha256, status="loaded")
    try:
        parts = readers.inspect(path, name)
    except ExtractError as exc:
        return _rejected(outcome, exc.problems, _describe(exc.problems))

    con.execute("begin transaction")
    try:
        for part in parts:
            n_rows = readers.load(con, part, sha256)
            warehouse.run_model(
                con, warehouse.PROBLEM_MODELS[part.table], "incoming_problems", temp=True
            )
            warehouse.run_model(con, warehouse.PROFILE_MODEL, "incoming_profile", temp=True)
            profile = con.sql("select * from incoming_profile").df()
            results = checks.validate(profile, f"input_{part.table}")
            problems = _problem_rows(con)
            outcome.checks.extend(results)
            outcome.problems.extend(problems)
            outcome.parts.append(PartOutcome(part.sheet, part.kind, part.table, n_rows))
            failed = [r for r in results if not r.success]
            if failed:
                con.execute("rollback")
                kinds = {r.meta.get("problem") for r in failed}
                shown = [p for p in problems if p.kind in kinds] or problems
                reasons = "; ".join(r.meta.get("vi", r.expectation) for r in failed)
                log.warning(
                    "rejected %s%s: %s", name, f" [{part.sheet}]" if part.sheet else "",
                    ", ".join(f"{r.column}={r.observed}" for r in failed),
                )
                message = f"Không đạt kiểm tra: {reasons}."
                if shown:
                    message += f" Ví dụ: {_describe(shown)}."
                return _rejected(outcome, problems, message)
            invalid = [p for p in problems if p.kind == "invalid_answer"]
            if invalid:
                # A wide row can hold several invalid answers: list each row once.
                n_invalid = int(profile["n_invalid_answer"][0])
                rows = list(dict.fromkeys(p.row for p in invalid))
                more = "…" if len(rows) > 10 or n_invalid > len(invalid) else ""
                sheet = f"trang tính {part.sheet}, " if part.sheet else ""
                outcome.warnings.append(
                    f"{n_invalid} câu trả lời ngoài khoảng 1–5 đã bị loại"
                    f" khỏi n ({sheet}dòng {', '.join(str(r) for r in rows[:10])}{more})"
                )
            con.execute(f"insert into raw_{part.table} select * from incoming")
        con.execute("commit")
    except ExtractError as exc:
        con.execute("rollback")
        return _rejected(outcome, exc.problems, _describe(exc.problems))
    except BaseException:
        con.execute("rollback")
        raise
    log.info("loaded %s: %d rows (%s)", name, outcome.n_rows, outcome.kinds)
    return outcome


def _rejected(outcome: ExtractOutcome, problems: list[Problem], message: str) -> ExtractOutcome:
    outcome.status = "rejected"
    outcome.problems = problems
    outcome.message = message
    return outcome
