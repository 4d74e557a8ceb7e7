"""A newer file replaces an older one: when two loaded extracts bring the same kind, assessed
unit and year, and overlap there (the same criterion, code or respondent at least once), the
rows of the older file for that unit and year are dropped, and the run records it in
`extract_replacements` (the summary says so).

Newer means a later modification time, then a later name. Files that share a unit and year
without overlapping complement each other and are both kept: PAPI dimensions beside
sub-dimensions, or survey answers sent in two batches.

The unit is the one the unit register decides (sql/checks/_units.sql.j2, for the kinds whose
codes it checks): a bare `SKHCN` in a Bắc Kạn file and in a Thái Nguyên file are two units,
and an old code loaded under its successor is that successor.
"""

from __future__ import annotations

import duckdb

from flows.intake.inbox import Arrival
from flows.intake.ingest import ensure_reference
from flows.intake.kinds import SOURCES
from flows.warehouse import models
from flows.warehouse.db import fetch_all, insert_many
from flows.warehouse.fingerprint import raw_fingerprint, record_fingerprint, stored_fingerprint
from flows.warehouse.run_records import RunInfo

# raw table -> (the columns of its slice: unit and year; the key whose overlap means "same"),
# as each source declares it (sql/sources/<table>.yml, `replaces`)
SLICES: dict[str, tuple[tuple[str, ...], str]] = {
    table: (source.slice, source.overlap) for table, source in SOURCES.items()
}
SLICE_ALIASES = ("unit", "year")
# the kinds whose unit codes the register decides (their input checks refuse a bad_unit)
REGISTERED = frozenset(
    table for table, source in SOURCES.items()
    if any(rule.problem == "bad_unit" for rule in source.rules)
)
RESOLVED_UNITS = """{% from '_units.sql.j2' import unit_codes -%}
select unit_code_text, year_text, source_file, unit_code
from ({{ unit_codes(relation, 'ref_province_names') }})"""


def create_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create table if not exists extract_replacements (
            run_id varchar, raw_table varchar, unit varchar, year varchar,
            replaced_file varchar, by_file varchar, n_rows bigint)"""
    )


def _slice_exprs(columns: tuple[str, ...], alias: str = "t") -> list[str]:
    exprs = [f"trim({alias}.{c})" for c in columns]
    exprs += ["''"] * (len(SLICE_ALIASES) - len(exprs))
    return [f"{e} as {a}" for e, a in zip(exprs, SLICE_ALIASES, strict=True)]


def _sliced(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...],
            key: str) -> str:
    """A query of raw_<table>'s rows as (rid, source_file, unit, year, k): the slice's unit
    (as the register decides it, for a registered kind) and year, and the overlap key."""
    raw = f"raw_{table}"
    unit, year = _slice_exprs(columns)
    if table in REGISTERED and columns[:2] == ("unit_code", "year"):
        ensure_reference(con)  # the register's tables (a run that read no file made none yet)
        con.execute("create or replace temp table unit_of as "
                    + models.render_sql(RESOLVED_UNITS, relation=raw))
        unit = "coalesce(u.unit_code, trim(t.unit_code)) as unit"
        return (f"""select t.rowid as rid, t.source_file, {unit}, {year}, trim(t.{key}) as k
            from {raw} as t
            left join unit_of as u on u.unit_code_text = t.unit_code
                and u.year_text = t.year and u.source_file = t.source_file""")
    return f"select t.rowid as rid, t.source_file, {unit}, {year}, trim(t.{key}) as k from {raw} t"


def replace_older(
    con: duckdb.DuckDBPyConnection, run: RunInfo, arrivals: list[Arrival]
) -> list[tuple]:
    """Drop the rows that newer files replace; return the replacements recorded."""
    create_table(con)
    con.execute("create or replace temp table arrival_order (file varchar, modified timestamptz)")
    insert_many(con, "insert into arrival_order values (?, ?)",
                [[a.name, a.modified] for a in arrivals])
    recorded = []
    for table, (columns, key) in SLICES.items():
        raw = f"raw_{table}"
        # Nothing was replaced when these very files were last loaded: no need to look again
        # (a file whose rows were replaced is read again, so it is looked at again).
        loaded = raw_fingerprint(con, table)
        if stored_fingerprint(con, f"nothing_replaced:{table}") == loaded:
            continue
        sliced = _sliced(con, table, columns, key)
        # Cheap first: is any unit and year in more than one file at all? (Nearly never.)
        shared = fetch_all(
            con,
            f"select unit, year from (select distinct unit, year, source_file from ({sliced}))"
            " group by all having count(*) > 1",
        )
        if not shared:
            record_fingerprint(con, f"nothing_replaced:{table}", loaded)
            continue
        con.execute(
            f"""create or replace temp table replaced as
            with keys as (
                select distinct unit, year, k, source_file from ({sliced})
            ),
            pairs as (
                select a.unit, a.year, a.source_file as file_a, b.source_file as file_b
                from keys a join keys b on a.unit = b.unit and a.year = b.year and a.k = b.k
                    and a.source_file < b.source_file
                group by all
            ),
            ranked as (
                select o.unit, o.year, o.file_a, o.file_b,
                    coalesce(ta.modified < tb.modified, false)
                        or (ta.modified is not distinct from tb.modified and o.file_a < o.file_b)
                        as b_newer
                from pairs o
                left join arrival_order ta on ta.file = o.file_a
                left join arrival_order tb on tb.file = o.file_b
            ),
            losers as (
                select unit, year,
                    case when b_newer then file_a else file_b end as replaced_file,
                    case when b_newer then file_b else file_a end as by_file
                from ranked
            )
            -- a file that loses to several keeps one line, naming the newest that replaced it
            select unit, year, replaced_file, max(by_file) as by_file from losers group by all"""
        )
        con.execute(
            f"""create or replace temp table dropped as
            select s.rid, r.unit, r.year, r.replaced_file, r.by_file from ({sliced}) as s
            join replaced r on s.unit = r.unit and s.year = r.year
                and s.source_file = r.replaced_file"""
        )
        counts = fetch_all(
            con,
            "select unit, year, replaced_file, by_file, count(*) from dropped"
            " group by all order by all",
        )
        con.execute(f"delete from {raw} where rowid in (select rid from dropped)")
        rows = [[run.run_id, table, u or None, y or None, old, new, n]
                for u, y, old, new, n in counts]
        insert_many(con, "insert into extract_replacements values (?, ?, ?, ?, ?, ?, ?)", rows)
        record_fingerprint(con, f"nothing_replaced:{table}", None if rows else loaded)
        recorded += [tuple(r[1:]) for r in rows]
    return recorded
