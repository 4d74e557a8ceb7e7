"""The run summary: what was loaded or rejected, how each index stands, and which criteria
miss their targets. The numbers and lists come from the build's presentation marts
(sql/reports/rpt_*), selected and ordered there; the words are in templates/summary.txt.j2."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from flows.checks.gx import Outcome
from flows.documents import published
from flows.documents.render import render as render_template
from flows.intake.ingest import ExtractOutcome
from flows.plan import Plan
from flows.warehouse.db import has_table
from flows.warehouse.run_records import RunInfo


@dataclass
class RunSummary:
    run: RunInfo
    plan_title: str
    baseline_year: int
    target_year: int
    extracts: list[ExtractOutcome]
    standing: list[dict]  # rpt_standing: per index x appendix, and the total
    worst: list[dict]  # rpt_worst: the plan's documents.summary_rows worst first
    checks: list[Outcome] = field(default_factory=list)  # the target checks (GX)
    alerts: object | None = None  # flows.notify.alerts.AlertReport, once alerting has run
    ranks: list[dict] = field(default_factory=list)  # rpt_ranks
    deferred: list = field(default_factory=list)  # flows.intake.inbox.Deferred
    replacements: list[dict] = field(default_factory=list)  # extract_replacements rows
    reported_before: set[str] = field(default_factory=set)  # rejected files told already
    lagging: list[dict] = field(default_factory=list)  # rpt_participation
    deadlines: list[dict] = field(default_factory=list)  # deadline_watch
    open_items: list[dict] = field(default_factory=list)  # rpt_open_items
    tree_mismatches: list[dict] = field(default_factory=list)  # rpt_tree_mismatches
    baseline_sources: list[dict] = field(default_factory=list)  # rpt_baseline_sources

    @property
    def totals(self) -> dict:
        return next((r for r in self.standing if r["is_total"]),
                    {"off_track": 0, "missed": 0, "at_risk": 0, "evidence_missing": 0})

    def count_off_track(self, status: str | None = None) -> int:
        """Missed and at-risk criteria (of one status), all of them, not only those listed."""
        return self.totals["off_track" if status is None else status]

    @property
    def off_track(self) -> list[dict]:
        return self.worst

    @property
    def n_evidence_missing(self) -> int:
        return self.totals["evidence_missing"]

    @property
    def rejected(self) -> list[ExtractOutcome]:
        return [e for e in self.extracts if e.status == "rejected"]

    @property
    def newly_rejected(self) -> list[ExtractOutcome]:
        return [e for e in self.rejected if e.file not in self.reported_before]

    @property
    def checks_failed(self) -> list[Outcome]:
        return [c for c in self.checks if not c.success and not c.meta.get("flags_targets")]


def collect_summary(
    con: duckdb.DuckDBPyConnection, run: RunInfo, plan: Plan,
    extracts: list[ExtractOutcome], checks: list[Outcome], deferred: list | tuple = (),
) -> RunSummary:
    """Read the standing and the lists from the built database (its presentation marts)."""
    def rows(sql: str, params: list | None = None) -> list[dict]:
        return published.rows(con, sql, params)

    replacements = rows(
        "select * from extract_replacements where run_id = ? order by all", [run.run_id]
    ) if has_table(con, "extract_replacements") else []
    told = {r[0] for r in con.execute(
        "select file from extracts where run_id = ? and reported_before", [run.run_id]
    ).fetchall()}
    return RunSummary(
        run, plan.title, plan.baseline_year, plan.target_year, extracts,
        standing=rows("select * from rpt_standing"),
        worst=rows("select * from rpt_worst where worst_rank <= ? order by worst_rank",
                   [plan.raw["documents"]["summary_rows"]]),
        checks=checks, ranks=rows("select * from rpt_ranks"), deferred=list(deferred),
        replacements=replacements, reported_before=told,
        lagging=rows("select * from rpt_participation"),
        deadlines=rows("select * from deadline_watch order by ends, pos"),
        open_items=rows("select * from rpt_open_items"),
        tree_mismatches=rows("select * from rpt_tree_mismatches"),
        baseline_sources=rows("select * from rpt_baseline_sources"),
    )


def check_lines(summary: RunSummary) -> list[str]:
    """The checks' lines: the input rules every extract met or failed (SQL, as it loaded;
    rejected files included) and the expectations on what was published (GX; a missed
    target is a finding, not a failed check)."""
    rules = [c for e in summary.extracts for c in e.checks]
    counts = {"rules": len(rules), "rules_ok": sum(c.success for c in rules),
              "loaded": sum(e.status == "loaded" for e in summary.extracts),
              "expectations": len(summary.checks),
              "expectations_ok": len(summary.checks) - len(summary.checks_failed)}
    return render_template("checks.txt.j2", s=summary, c=counts).splitlines()


def render(summary: RunSummary, db_path: str, limit: int | None = None, log_path=None) -> str:
    """The summary as a person reads it in a terminal or the morning email (Vietnamese)."""
    if limit is not None:
        summary.worst = summary.worst[:limit]
    return render_template("summary.txt.j2", s=summary, db_path=db_path, log_path=log_path,
                           check_lines=check_lines(summary))


def render_alerts(report) -> str:
    """One paragraph on what alerting did (Vietnamese); the counts are the alert log's."""
    return render_template("alerts_result.txt.j2", report=report)
