"""Great Expectations: the suites in expectations/ run on DataFrames taken from DuckDB.

GX only ever sees small frames: the one-row profile of an incoming extract (counts computed
in SQL over the whole file) and the criterion_gaps mart. Bulk rows stay in DuckDB.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flows.instrument import timing
from flows.paths import ROOT

if TYPE_CHECKING:  # pandas comes with GX, on first use: a night that checks nothing skips both
    import duckdb
    import pandas as pd

EXPECTATIONS_DIR = ROOT / "expectations"
log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """The result of one expectation on one frame."""

    suite: str
    expectation: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]
    success: bool
    failing_index: list[int] = field(default_factory=list)
    observed: Any = None
    error: str | None = None

    @property
    def column(self) -> str | None:
        if "column" in self.kwargs:
            return self.kwargs["column"]
        if "column_A" in self.kwargs:
            return f"{self.kwargs['column_A']}, {self.kwargs['column_B']}"
        if "column_list" in self.kwargs:
            return ", ".join(self.kwargs["column_list"])
        return None


class _Validator:
    """One ephemeral GX context per process, created on first use (importing GX costs ~3 s)."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        self.source = self.context.data_sources.add_pandas("chiso")
        self.batches: dict[str, Any] = {}
        self.suites: dict[str, Any] = {}

    def suite(self, name: str):
        if name not in self.suites:
            spec = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
            self.suites[name] = self.gx.ExpectationSuite(
                name=spec["name"], expectations=spec["expectations"], meta=spec.get("meta", {})
            )
        return self.suites[name]

    def batch_definition(self, name: str):
        if name not in self.batches:
            asset = self.source.add_dataframe_asset(name)
            self.batches[name] = asset.add_batch_definition_whole_dataframe(name)
        return self.batches[name]

    def validate(self, frame: pd.DataFrame, suite_name: str) -> list[Outcome]:
        suite = self.suite(suite_name)
        batch = self.batch_definition(suite_name).get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format="COMPLETE")
        outcomes = []
        for r in result.results:
            cfg = r.expectation_config
            raised = r.exception_info.get("raised_exception") if r.exception_info else False
            outcomes.append(
                Outcome(
                    suite=suite_name,
                    expectation=cfg.type,
                    kwargs=dict(cfg.kwargs),
                    meta=dict(cfg.meta or {}),
                    success=bool(r.success),
                    failing_index=[int(i) for i in r.result.get("unexpected_index_list") or []],
                    observed=r.result.get("observed_value"),
                    error=r.exception_info.get("exception_message") if raised else None,
                )
            )
            if raised:
                log.error("GX expectation %s raised: %s", cfg.type, outcomes[-1].error)
        return outcomes


_validator: _Validator | None = None


def _ready() -> _Validator:
    global _validator
    if _validator is None:
        with timing.phase("gx_setup", kind="framework"):  # GX's import and context, once
            _validator = _Validator()
    return _validator


def frame(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """The small DuckDB result a suite will check, as a pandas frame. GX is set up first: it
    brings pandas, whose import is then counted with GX's as a framework cost."""
    _ready()
    return relation.df()


def validate(frame: pd.DataFrame, suite_name: str) -> list[Outcome]:
    """Run one suite (expectations/<suite_name>.json) on a frame."""
    validator = _ready()
    with timing.phase("gx_validate"):
        return validator.validate(frame, suite_name)


def flagged_rows(outcomes: list[Outcome]) -> list[int]:
    """Frame rows that fail a target (expectations marked flags_targets in the suite)."""
    rows: set[int] = set()
    for o in outcomes:
        if o.meta.get("flags_targets"):
            rows.update(o.failing_index)
    return sorted(rows)
