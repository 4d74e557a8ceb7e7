"""The SQL models in sql/ and running them into a database.

Each model is one SELECT in `sql/<layer>/<name>.sql` with a YAML beside it (`<name>.yml`):
what one row is, how the model is kept (`materialized`: a table, a view, or `temp` for the
check models built on demand), what each column means (written into the database as
comments) and what must hold of its rows (data tests, run by the test suite). Nothing lists
the models or their order: a model runs after the models its FROM clauses name, as DuckDB's
own parser reads them, layer by layer (staging, intermediate, marts, reports).

Whether a model is built again is decided by one rule (flows/warehouse/fingerprint.py): its
SQL, the macros and what it reads, plus the run's date for a model that reads the date.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from flows import yamlfile
from flows.intake.kinds import SOURCES, TABLE_COLUMNS
from flows.paths import var_dir
from flows.warehouse import fingerprint, sqlquote
from flows.warehouse.db import SQL_DIR, fetch_all, has_table

# The layers a run builds, in order.
RUN_LAYERS = ("staging", "intermediate", "marts", "reports")
# Built on demand, into temp tables: `checks` (an extract's input checks, the target checks) and
# `queries` (what alerting asks of the published file, with the alert state beside it).
LAYERS = (*RUN_LAYERS, "checks", "queries")
MATERIALIZATIONS = {"table", "view", "temp"}
# A model whose SQL calls one of these is built again every run (nothing does today: the run's
# date comes from current_run, which the fingerprint rule knows).
VOLATILE = re.compile(
    r"\b(current_date|current_timestamp|(now|today|random|uuid|gen_random_uuid)\s*\()", re.I
)
RUN_DATE = "current_run"  # the table holding the run's as-of date

# Per-extract input checks: the problems model of each raw table, then the shared profile.
PROBLEM_MODELS = {table: source.checks for table, source in SOURCES.items()}
PROFILE_MODEL = "chk_incoming__profile"


@dataclass(frozen=True)
class Model:
    name: str  # the table (or view) it makes: its file's name
    layer: str
    path: Path
    sql: str
    spec: dict[str, Any]  # the YAML beside it
    reads: frozenset[str]  # the tables its SQL reads

    @property
    def materialized(self) -> str:
        return self.spec["materialized"]

    @property
    def volatile(self) -> bool:
        """Built again every run: it calls a clock or a random source."""
        return bool(VOLATILE.search(self.sql))

    @property
    def history(self) -> str | None:
        """For a history model: its previous self, as the previous run published it."""
        return self.spec.get("history")

    @property
    def columns(self) -> dict[str, str]:
        """Its columns and what each means, in order: those of the model its YAML names in
        `columns_from` (a query that returns a mart's columns and more), then its own."""
        inherited = model(self.spec["columns_from"]).columns if self.spec.get("columns_from") \
            else {}
        return {**inherited, **(self.spec.get("columns") or {})}

    @property
    def fingerprint_ignores(self) -> frozenset[str]:
        """What its fingerprint leaves out (a history's previous self and, as a history keeps
        its rows whatever the date when nothing else changed, the run's date)."""
        return frozenset(self.spec.get("fingerprint_ignores", ()))


@functools.cache
def _parser() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def tables_read(sql: str, con: duckdb.DuckDBPyConnection | None = None) -> frozenset[str]:
    """The tables a SELECT reads, from DuckDB's parse tree (no binding: its inputs need not
    exist); names of its CTEs are not tables."""
    tree = json.loads(fetch_all(con or _parser(), "select json_serialize_sql(?)", [sql])[0][0])
    if tree.get("error"):
        raise ValueError(f"not a statement DuckDB can parse: {tree.get('error_message')}")
    tables, ctes = set(), set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and "table_name" in node:
                tables.add(node["table_name"])
            for entry in (node.get("cte_map") or {}).get("map", []):
                ctes.add(entry["key"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return frozenset(tables - ctes)


@functools.cache
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(SQL_DIR / "checks"), str(SQL_DIR / "reports")]),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
    )


def render_sql(text: str, **params: Any) -> str:
    """SQL text with the macros of sql/checks and sql/reports (for SQL a step runs outside the
    models: flows/intake/supersede.py)."""
    return _jinja().from_string(text).render(**params)


def _render(path: Path, text: str) -> str:
    """A model's SQL as DuckDB runs it: a problems model uses the shapes of
    sql/checks/_shapes.sql.j2, rendered with its kind's declaration (`source`); a report mart
    the columns of sql/reports/_criteria.sql.j2."""
    if "{%" not in text and "{{" not in text:
        return text
    source = next((s for s in SOURCES.values() if s.checks == path.stem), None)
    return _jinja().from_string(text).render(source=source)


def _load(path: Path) -> tuple[str, dict[str, Any]]:
    """A model's SQL, rendered, and its YAML."""
    doc = path.with_suffix(".yml")
    if not doc.exists():
        raise FileNotFoundError(f"{path}: no {doc.name} beside it (every model has one)")
    spec = yamlfile.load(doc.read_text(encoding="utf-8"))
    if spec.get("materialized") not in MATERIALIZATIONS:
        raise ValueError(f"{doc}: materialized must be one of {sorted(MATERIALIZATIONS)}")
    return _render(path, path.read_text(encoding="utf-8")), spec


def _reads_cache() -> Path:
    return var_dir() / "cache" / "model_reads.json"


def _all_reads(sqls: list[str]) -> list[frozenset[str]]:
    """tables_read of each SQL, remembered in var/cache by the SQL's hash and DuckDB's version
    (parsing the 57 models cost 0,15 s, in every process that runs them). The file holds the
    current models' entries only; one that cannot be read or written is parsed again."""
    path = _reads_cache()
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    keys = [hashlib.sha256(f"{duckdb.__version__}\0{sql}".encode()).hexdigest() for sql in sqls]
    found = {k: frozenset(known[k]) if isinstance(known.get(k), list) else tables_read(sql)
             for k, sql in zip(keys, sqls, strict=True)}
    if any(not isinstance(known.get(k), list) for k in keys):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({k: sorted(v) for k, v in found.items()}, f)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except OSError:
            pass
    return [found[k] for k in keys]


@functools.cache
def catalogue() -> dict[str, Model]:
    """Every model in sql/, by name."""
    paths = [path for layer in LAYERS for path in sorted((SQL_DIR / layer).glob("*.sql"))]
    loaded = [_load(path) for path in paths]
    found: dict[str, Model] = {}
    for path, (sql, spec), reads in zip(
            paths, loaded, _all_reads([sql for sql, _ in loaded]), strict=True):
        if path.stem in found:
            raise ValueError(f"two models named {path.stem}: {found[path.stem].path}, {path}")
        found[path.stem] = Model(path.stem, path.parent.name, path, sql, spec, reads)
    return found


@functools.cache
def run_order() -> tuple[Model, ...]:
    """The models a run builds, each after every model it reads; of those ready at the same
    time, the earlier layer first, then by name (the same order every run)."""
    models = {m.name: m for m in catalogue().values() if m.layer in RUN_LAYERS}
    waiting = {n: {r for r in m.reads if r in models and r != n} for n, m in models.items()}
    readers: dict[str, set[str]] = {n: set() for n in models}
    for name, deps in waiting.items():
        for dep in deps:
            readers[dep].add(name)

    def rank(name: str) -> tuple[int, str]:
        return RUN_LAYERS.index(models[name].layer), name

    ready = [rank(n) for n, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[Model] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(models[name])
        for reader in readers[name]:
            waiting[reader].discard(name)
            if not waiting[reader]:
                heapq.heappush(ready, rank(reader))
    if len(order) != len(models):
        stuck = sorted(n for n, deps in waiting.items() if deps)
        raise ValueError(f"models that read each other in a circle: {', '.join(stuck)}")
    return tuple(order)


def model(name: str) -> Model:
    """A model by name ('chk_incoming__profile'; 'checks/chk_incoming__profile' works too)."""
    return catalogue()[name.rsplit("/", 1)[-1]]


def run_model(
    con: duckdb.DuckDBPyConnection, name: str | Model, table: str | None = None,
    temp: bool = False,
) -> None:
    """Build one model as it says (a table or a view, named after it), or as a temp table
    (`temp`, for the check models: `table` names it)."""
    m = name if isinstance(name, Model) else model(name)
    table = table or m.name
    quoted = sqlquote.identifier(table)
    if temp or m.materialized == "temp":
        con.execute(f"create or replace temp table {quoted} as\n{m.sql}")
        return
    if m.materialized == "view":
        if has_table(con, table):  # a table of that name, from an older build
            con.execute(f"drop table {quoted}")
        con.execute(f"create or replace view {quoted} as\n{m.sql}")
        return
    if fetch_all(
        con, "select 1 from duckdb_views() where view_name = ? and not internal"
        " and database_name = current_database() and schema_name = 'main'", [table],
    ):
        con.execute(f"drop view {quoted}")
    con.execute(f"create or replace table {quoted} as\n{m.sql}")


def ensure_history_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """gap_history reads the previously published history and the run's as-of date; a first
    run (or a model test) starts from an empty history and today's date. A history published
    before plans had ids (no plan_id column) was one plan's: its rows get this run's plan id."""
    if has_table(con, "prev_gap_history") and not fetch_all(
        con, "select 1 from duckdb_columns() where table_name = 'prev_gap_history'"
        " and column_name = 'plan_id' and database_name = current_database()",
    ):
        con.execute("alter table prev_gap_history add column plan_id varchar")
        con.execute("update prev_gap_history set plan_id = (select plan_id from plan_settings)")
    con.execute(
        """create table if not exists prev_gap_history (
            plan_id varchar, index_name varchar, appendix integer, unit_code varchar,
            criterion_code varchar, baseline_code varchar, valid_from date, valid_to date,
            baseline_value decimal(20, 8), target_value decimal(20, 8),
            current_value decimal(20, 8), current_stage varchar, gap decimal(20, 8),
            status varchar)"""
    )
    con.execute(
        f"create table if not exists {RUN_DATE} as"
        " select null::varchar as run_id, current_date as as_of_date"
    )


def model_fingerprint(
    con: duckdb.DuckDBPyConnection, m: Model, known: dict[str, str | None],
    tables: set[str] | None = None,
) -> str | None:
    """The one rule (fingerprint.of_model), with the fingerprints of what `m` reads: models
    built before it in this run (`known`), raw tables (their extracts), small tables (their
    content), the run's date. None: build it again. `tables`: the tables the database has,
    when the caller knows them."""
    if m.volatile:
        return None
    inputs: dict[str, str | None] = {}
    for table in sorted(m.reads - m.fingerprint_ignores):
        if table in known:
            inputs[table] = known[table]
        elif table == RUN_DATE:
            inputs[table] = fingerprint.of_run_date(con)
        elif table.startswith("raw_") and table.removeprefix("raw_") in TABLE_COLUMNS:
            inputs[table] = fingerprint.raw_fingerprint(con, table.removeprefix("raw_"))
        elif table in tables if tables is not None else has_table(con, table):
            inputs[table] = fingerprint.table_fingerprint(con, table)
        else:
            inputs[table] = None
        if inputs[table] is None:
            return None
    return fingerprint.of_model(m.sql, inputs)


def run_models(con: duckdb.DuckDBPyConnection, reuse: bool = False) -> None:
    """Build every model of a run, in order, then write their documentation as comments.

    With `reuse` (a run's build, whose raw tables only ingest writes), a table or view whose
    fingerprint is the one stored when it was built is kept as it is: an unchanged night
    re-reads no raw row and rewrites no view. A history whose inputs are unchanged is kept as
    published."""
    ensure_history_inputs(con)
    known: dict[str, str | None] = {}
    built: list[Model] = []
    # what the file holds, read once (a catalogue query per model and input cost 0,2 s)
    tables = {r[0] for r in fetch_all(
        con, "select table_name from duckdb_tables() where database_name = current_database()"
        " and schema_name = 'main'",
    )}
    views = {r[0] for r in fetch_all(
        con, "select view_name from duckdb_views() where not internal"
        " and database_name = current_database() and schema_name = 'main'",
    )}
    stored = fingerprint.stored_fingerprints(con) if reuse else {}
    for m in run_order():
        if not reuse:
            run_model(con, m)
            built.append(m)
            continue
        known[m.name] = model_fingerprint(con, m, known, tables)
        if m.history and known[m.name] is not None and m.history in tables \
                and known[m.name] == stored.get(m.name):
            # nothing it records changed since the run that published it: no row starts or
            # ends, whatever the date, so that history is this run's (the build's copy of it)
            con.execute(f"drop table if exists {sqlquote.identifier(m.name)}")
            con.execute(f"alter table {m.history} rename to {sqlquote.identifier(m.name)}")
            tables.discard(m.history)
        elif (known[m.name] is None or known[m.name] != stored.get(m.name)
                or m.name not in (views if m.materialized == "view" else tables)):
            run_model(con, m)
            built.append(m)
            if m.materialized != "view":
                tables.add(m.name)
    if reuse:
        fingerprint.record_fingerprints(con, {m.name: known[m.name] for m in built})
    apply_comments(con, built)


def apply_comments(con: duckdb.DuckDBPyConnection, built: list[Model] | None = None) -> None:
    """COMMENT ON each model built (default: every model of a run), from its YAML; a kept table
    keeps the comments it was published with. In one transaction: 700 statements committed one
    by one cost 0,6 s at national scale (COMMENT ON takes no bound parameters: quoted)."""
    statements = []
    for m in run_order() if built is None else built:
        kind = "view" if m.materialized == "view" else "table"
        name = sqlquote.identifier(m.name)
        statements.append(
            f"comment on {kind} {name} is {sqlquote.literal(m.spec['description'])}")
        statements.extend(
            f"comment on column {name}.{sqlquote.identifier(column)} is {sqlquote.literal(text)}"
            for column, text in m.columns.items()
        )
    if statements:
        con.execute("begin transaction")
        try:
            con.execute(";\n".join(statements))
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")


def data_tests(m: Model) -> list[tuple[str, str]]:
    """The model's data tests (its YAML's `tests`) as (name, SQL listing the rows that break
    it). A test holds when its SQL returns no row."""
    out = []
    table = sqlquote.identifier(m.name)
    for test in m.spec.get("tests") or []:
        (kind, arg), = test.items()
        if kind == "unique":
            cols = ", ".join(sqlquote.identifier(c) for c in arg)
            out.append((f"unique({', '.join(arg)})",
                        f"select {cols}, count(*) as n from {table} group by all having n > 1"))
        elif kind == "not_null":
            cond = " or ".join(f"{sqlquote.identifier(c)} is null" for c in arg)
            out.append((f"not_null({', '.join(arg)})", f"select * from {table} where {cond}"))
        elif kind == "accepted_values":
            col = sqlquote.identifier(arg["column"])
            values = ", ".join(sqlquote.literal(str(v)) for v in arg["values"])
            out.append((f"accepted_values({arg['column']})",
                        f"select * from {table} where {col} is not null"
                        f" and {col}::varchar not in ({values})"))
        elif kind == "expression":
            out.append((f"expression({arg})", f"select * from {table} where not ({arg})"))
        else:
            raise ValueError(f"{m.path.with_suffix('.yml')}: unknown data test {kind!r}")
    return out
