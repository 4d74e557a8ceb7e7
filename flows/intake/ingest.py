"""Ingest one extract file: read it, check it in SQL (its problems, their counts, and its
kind's input rules), and append it to its raw table only if every part of it passes. A
rejected file changes nothing. The same code answers `chiso check`, on an in-memory DuckDB."""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from flows.checks import gx
from flows.errors import ExtractError, Problem
from flows.intake import readers
from flows.intake.kinds import SOURCES
from flows.plan import Plan, write_plan_tables
from flows.warehouse import db, models

log = logging.getLogger(__name__)
MAX_PROBLEMS_KEPT = 200  # per part, in extract_problems
EXAMPLES_IN_MESSAGE = 3
COLUMN_VI = {"self_score": "điểm tự đánh giá", "appraised_score": "điểm thẩm định"}
VERDICTS_MODEL = "chk_incoming__verdicts"
# Extra per-kind checks that need reference data; their rows join incoming_problems.
REFERENCE_CHECKS = {"papi_scores": "chk_papi_scores__provinces"}


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
    checks: list[gx.Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return sum(p.n_rows for p in self.parts)

    @property
    def kinds(self) -> str:
        return ", ".join(sorted({p.kind for p in self.parts}))


def _problem_rows(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    rows = db.fetch_all(
        con,
        "select source_file, source_sheet, source_row, column_name, value, problem, expected"
        " from incoming_problems order by source_row, column_name limit ?",
        [MAX_PROBLEMS_KEPT],
    )
    return [
        Problem(file=f, sheet=s, row=r, column=c, value=v, expected=e, kind=k)
        for f, s, r, c, v, k, e in rows
    ]


def judge_incoming(con: duckdb.DuckDBPyConnection, table: str) -> list[gx.Outcome]:
    """Judge the extract in the temp table `incoming` (of kind `table`): its problems (temp
    table incoming_problems), its profile (incoming_profile) and the input rules' verdicts."""
    ensure_reference(con)
    models.run_model(con, models.PROBLEM_MODELS[table], "incoming_problems", temp=True)
    if table in REFERENCE_CHECKS:
        con.execute("insert into incoming_problems by name select * from (\n"
                    + models.model(REFERENCE_CHECKS[table]).sql + "\n)")
    models.run_model(con, models.PROFILE_MODEL, "incoming_profile", temp=True)
    return input_verdicts(con, table)


def input_verdicts(con: duckdb.DuckDBPyConnection, table: str) -> list[gx.Outcome]:
    """The input rules of `table`'s kind against the incoming profile, decided in SQL
    (sql/checks/chk_incoming__verdicts.sql); one outcome per rule, as check_results keeps."""
    ensure_input_rules(con)
    con.execute("create or replace temp table incoming_rules as select * from ref_input_rules"
                " where raw_table = ?", [table])
    models.run_model(con, VERDICTS_MODEL, "incoming_verdicts", temp=True)
    return [
        gx.Outcome(
            suite=f"input_{table}", expectation="value_between",
            kwargs={"column": measure, "min_value": low, "max_value": high},
            meta={"vi": vi, **({"problem": problem} if problem else {})},
            success=success, observed=observed,
        )
        for measure, low, high, problem, vi, observed, success in db.fetch_all(
            con, "select measure, min_value, max_value, problem, description_vi, observed,"
            " success from incoming_verdicts order by pos")
    ]


def _profile_count(con: duckdb.DuckDBPyConnection, column: str) -> int:
    return int(db.fetch_all(con, f"select {column} from incoming_profile")[0][0])


def ensure_input_rules(con: duckdb.DuckDBPyConnection) -> None:
    """The input rules of every kind (sql/sources/<table>.yml, `rules`), once per connection."""
    if not db.fetch_all(
        con, "select 1 from duckdb_tables() where table_name = 'ref_input_rules'"
    ):
        con.execute(
            "create temp table ref_input_rules (pos integer, raw_table varchar, measure varchar,"
            " min_value decimal(20, 6), max_value decimal(20, 6), problem varchar,"
            " description_vi varchar)"
        )
        db.insert_many(con, "insert into ref_input_rules values (?, ?, ?, ?, ?, ?, ?)", [
            [i, table, r.measure, r.min, r.max, r.problem, r.vi]
            for table, source in SOURCES.items() for i, r in enumerate(source.rules)
        ])


def describe_problem(p: Problem) -> str:
    """Where and what, for people: "trang tính X, dòng 3, cột self_score: giá trị '99' — cần …"."""
    where = ", ".join(
        x for x in (
            f"trang tính {p.sheet}" if p.sheet else "",
            f"dòng {p.row}" if p.row is not None else "",
            f"cột {p.column}" if p.column else "",
        ) if x
    )
    got = f": giá trị {p.value!r}" if p.value is not None else ""
    return f"{where}{got} — cần {p.expected}" if where or got else f"Cần {p.expected}"


def _describe(problems: list[Problem]) -> str:
    return "; ".join(describe_problem(p) for p in problems[:EXAMPLES_IN_MESSAGE])


def plan_encoding(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The encoding the plan names for a file (plan_encodings, written by flows.plan), if any:
    of the patterns that match the file's name or its path in the inbox, the most specific."""
    if not db.fetch_all(
        con, "select 1 from duckdb_tables() where table_name = 'plan_encodings'"
    ):
        return None
    rows = db.fetch_all(con, "select pattern, encoding from plan_encodings order by pos")
    # the most specific pattern wins (most characters that are not wildcards); '*' comes last
    rows.sort(key=lambda r: -len(r[0].replace("*", "").replace("?", "")))
    base = Path(name).name
    for pattern, encoding in rows:
        if fnmatch.fnmatch(name.lower(), pattern.lower()) or fnmatch.fnmatch(
            base.lower(), pattern.lower()
        ):
            return encoding
    return None


def ensure_reference(con: duckdb.DuckDBPyConnection) -> None:
    """The reference tables the input checks read (temp tables, once per connection; a
    warehouse being built has them already)."""
    present = {r[0] for r in db.fetch_all(con, "select table_name from duckdb_tables()")}
    for table, path in db.REFERENCE_TABLES.items():
        if table not in present:
            con.execute(
                f"create temp table {table} as select * from read_csv(?, header = true,"
                " all_varchar = true)",
                [str(path)],
            )
    if "ref_province_names" not in present:  # the names of each map, as the warehouse has them
        models.run_model(con, "stg_ref__provinces", "ref_province_names", temp=True)
    # which province a bare unit code belongs to: none without a plan (`chiso check`)
    if "plan_provinces" not in present:
        con.execute("create temp table plan_provinces (province varchar)")
    if "plan_unit_provinces" not in present:
        con.execute("create temp table plan_unit_provinces (pos integer, pattern varchar,"
                    " province varchar)")


def unknown_questions(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """SIPAS question codes in the loaded answers that no loaded criteria sheet has, as a
    warning on the file that brings them (the answers, or the criteria when they come
    second: a run reads files in name order). Nothing is said while no criteria are loaded."""
    rows = db.fetch_all(
        con,
        # (distinct before trim: ten million answers hold a few hundred codes)
        """with answers as (select distinct trim(question_code) as code, source_file
                            from (select distinct question_code, source_file
                                  from raw_sipas_answers)),
                criteria as (select distinct trim(question_code) as code, source_file
                             from raw_sipas_criteria)
           select distinct code from answers
           where exists (select 1 from criteria)
               and code not in (select code from criteria)
               and (source_file = ? or exists (select 1 from criteria where source_file = ?))
           order by code""",
        [name, name],
    )
    codes = [r[0] for r in rows]
    if not codes:
        return []
    return [
        f"{len(codes)} mã câu hỏi có trong phiếu SIPAS nhưng không có trong danh mục tiêu chí:"
        f" {', '.join(codes[:10])}{'…' if len(codes) > 10 else ''} (tỷ lệ vẫn được tính, tên"
        " tiêu chí để trống; thêm mã vào danh mục tiêu chí, hoặc sửa mã ở tiêu đề cột)"
    ]


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, encoding: str | None = None,
    sha256: str | None = None,
) -> ExtractOutcome:
    """Load one file into the raw tables, or reject it whole with problems a person can act on.

    `encoding` is the CSV encoding to use when the file is not UTF-8; by default the one the
    plan names for this file (see plan_encoding). `sha256` is the file's, when the caller has
    already hashed it (it is not read again for that)."""
    outcome = ExtractOutcome(file=name, sha256=sha256 or "", status="loaded")
    try:
        outcome.sha256 = sha256 or readers.sha256_of(path)
    except OSError as exc:
        problem = Problem(name, expected=f"một tệp đọc được (hệ thống báo: {exc.strerror or exc})",
                          kind="unreadable_file")
        return _rejected(outcome, [problem], _describe([problem]))
    sha256 = outcome.sha256
    if encoding is None:
        encoding = plan_encoding(con, name)
    try:
        parts = readers.inspect(path, name, encoding)
    except ExtractError as exc:
        return _rejected(outcome, exc.problems, _describe(exc.problems))

    con.execute("begin transaction")
    try:
        for part in parts:
            # the rows go into their raw table now; a rejection rolls them back
            n_rows = readers.load(con, part, sha256, append=True)
            results = judge_incoming(con, part.table)
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
                n_invalid = _profile_count(con, "n_invalid_answer")
                rows = list(dict.fromkeys(p.row for p in invalid))
                more = "…" if len(rows) > 10 or n_invalid > len(invalid) else ""
                sheet = f"trang tính {part.sheet}, " if part.sheet else ""
                outcome.warnings.append(
                    f"{n_invalid} câu trả lời ngoài khoảng 1–5 đã bị loại"
                    f" khỏi n ({sheet}dòng {', '.join(str(r) for r in rows[:10])}{more})"
                )
            sums = [p for p in problems if p.kind == "children_sum"]
            if sums:
                n_sums = _profile_count(con, "n_children_sum")
                shown = "; ".join(f"dòng {p.row}, {COLUMN_VI.get(p.column, p.column)} ghi"
                                  f" {p.value}, cần {p.expected}" for p in sums[:5])
                outcome.warnings.append(
                    f"{n_sums} điểm tiêu chí khác tổng điểm các tiêu chí con; tệp vẫn được nạp,"
                    f" mục tiêu xét theo điểm ghi ở tiêu chí: {shown}{'; …' if n_sums > 5 else ''}"
                )
            moved = [p for p in problems if p.kind == "unit_successor"]
            if moved:
                shown = "; ".join(f"{p.value} (từ dòng {p.row}): {p.expected}" for p in moved[:5])
                outcome.warnings.append(
                    f"{len(moved)} mã đơn vị cũ được nạp cho đơn vị kế thừa: {shown}"
                    f"{'; …' if len(moved) > 5 else ''}")
        if {p.table for p in parts} & {"sipas_answers", "sipas_criteria"}:
            outcome.warnings.extend(unknown_questions(con, name))
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


# --- `chiso check`: would these files load? -------------------------------------------------

PROBLEMS_SHOWN = 10


def check_files(
    paths: list[Path], encodings: list[tuple[str, str]] | None = None, plan: Plan | None = None
) -> list[ExtractOutcome]:
    """Run each file through the same reader and checks as a night's ingest, on an in-memory
    DuckDB (nothing is written anywhere), in the order given: a SIPAS criteria file given
    with the answers is checked against them, as in a run. With the plan, its tables too: the
    provinces a bare unit code belongs to (provinces, unit_provinces), as in the plan's run."""
    con = duckdb.connect()
    try:
        db.install_macros(con)
        db.create_raw_tables(con)
        if plan is not None:
            write_plan_tables(con, plan)
        con.execute("create or replace table plan_encodings (pos integer, pattern varchar,"
                    " encoding varchar)")
        db.insert_many(
            con, "insert into plan_encodings values (?, ?, ?)",
            [[i, p, e] for i, (p, e) in enumerate(encodings or [])],
        )
        outcomes = []
        for path in paths:
            name = str(path)
            if readers.skipped(path.name):  # the inbox's own rule: never taken
                problem = Problem(name, kind="skipped", expected=(
                    "một tệp đã chép xong: tên bắt đầu bằng '.' hoặc '~$', hay kết thúc bằng"
                    " .part hoặc .tmp, là tệp tạm hoặc đang được ghi, và hộp thư bỏ qua nó;"
                    " đổi tên khi đã chép xong"))
                outcomes.append(_rejected(ExtractOutcome(name, "", "rejected"), [problem],
                                          _describe([problem])))
            elif not path.is_file():
                problem = Problem(name, kind="unreadable_file",
                                  expected="một tệp có thật (không tìm thấy tệp này)")
                outcomes.append(_rejected(ExtractOutcome(name, "", "rejected"), [problem],
                                          _describe([problem])))
            else:
                outcomes.append(ingest_file(con, path, name))
        return outcomes
    finally:
        con.close()


def render_check(outcomes: list[ExtractOutcome]) -> str:
    """What `chiso check` prints: per file, would it load, and if not, where and why."""
    lines = []
    for o in outcomes:
        if o.status == "loaded":
            parts = ", ".join(
                f"{p.kind}{f' (trang tính {p.sheet})' if p.sheet else ''}: {p.n_rows} dòng"
                for p in o.parts
            )
            lines.append(f"ĐƯỢC NẠP   {o.file} — {parts}")
        else:
            lines.append(f"BỊ TỪ CHỐI {o.file} — {o.message}")
            # the message already cites the first few problems when it is made of them
            first = EXAMPLES_IN_MESSAGE if o.message == _describe(o.problems) else 0
            for p in o.problems[first:PROBLEMS_SHOWN]:
                lines.append(f"    - {describe_problem(p)}")
            if len(o.problems) > PROBLEMS_SHOWN:
                lines.append(f"    … và {len(o.problems) - PROBLEMS_SHOWN} vấn đề khác")
        lines.extend(f"    cảnh báo: {w}" for w in o.warnings)
    n_ok = sum(o.status == "loaded" for o in outcomes)
    lines.append(f"{n_ok}/{len(outcomes)} tệp sẽ được nạp.")
    return "\n".join(lines)
