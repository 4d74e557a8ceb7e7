"""The province run: every plan of the province folder, each into its own published file, then
the province file (combine.py).

    <out>/plans/<plan_id>/chiso.duckdb   each plan's file (the same build-then-rename as a plan
                                         run on its own: `chiso report --db` reads it)
    <out>/route/<plan_id>/               the extracts routed to the plan (links, rebuilt each run)
    <out>/province.duckdb                every plan's marts with plan_id, the province marts

A plan that cannot be read, or whose run fails, is reported and leaves every other plan's
results published; its own last published file stays, marked stale in the province file.
Exit codes (flows/cli.py): 0 every plan published, 3 some did, 2 none, 75 locked.

Plans run one after another in this process, each as a subflow of the province flow, or spread
over Prefect process workers as deployment runs of one plan each (`workers`, workers.py)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow

from flows import console
from flows.errors import ChisoError
from flows.plan import Plan, encodings_of, load_plan
from flows.province import combine, routing, settings
from flows.warehouse.lock import RunLock
from flows.warehouse.run_records import TZ

log = logging.getLogger("chiso.province")
PROVINCE_DB = "province.duckdb"


@dataclass
class ProvinceSummary:
    province: str
    states: list[combine.PlanState] = field(default_factory=list)
    unrouted: list[tuple[str, str]] = field(default_factory=list)
    province_db: Path | None = None
    digest: object | None = None  # flows.notify.alerts.AlertReport of the province digest

    @property
    def exit_code(self) -> int:
        published = sum(s.status == "published" for s in self.states)
        if self.states and published == len(self.states):
            return 0
        return 3 if published else 2


def plan_db(out: Path, plan_id: str) -> Path:
    return out / "plans" / plan_id / "chiso.duckdb"


def _link_inbox(folder: Path, files: list[Path], inbox: Path) -> None:
    """The plan's inbox for tonight: a link to each routed file (a copy where links fail)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for f in files:
        target = folder / (f.name if f.parent == inbox else f"{f.parent.name}__{f.name}")
        try:
            os.link(f, target)
        except OSError:
            shutil.copy2(f, target)


def _failed(state: combine.PlanState, message: str) -> None:
    """A plan whose run failed tonight: its last published file stays (stale), if it has one."""
    db = state.db
    state.status = "stale" if db is not None and db.exists() else "failed"
    state.message = message
    state.db = db if db is not None and db.exists() else None


def _read_plans(province: settings.Province, out: Path
                ) -> tuple[list[Plan], list[combine.PlanState]]:
    """The plans that can run, and the states of those that cannot: a refused file, or two
    plans with one id (both refused; the others run). A refused plan that published before
    keeps its last rows in the province file (stale), with the reason."""
    plans, invalid = [], []
    for path in province.plan_files:
        try:
            plans.append(load_plan(path))
        except ChisoError as exc:
            invalid.append(_refused(out, path.stem, path, f"kế hoạch không hợp lệ: {exc}"))
    by_id: dict[str, list[Plan]] = {}
    for p in plans:
        by_id.setdefault(p.id, []).append(p)
    for plan_id, same in by_id.items():
        if len(same) > 1:
            names = ", ".join(p.path.name for p in same)
            for p in same:
                plans.remove(p)
                invalid.append(_refused(out, plan_id, p.path, f"hai kế hoạch cùng mã {plan_id!r}"
                                        f" ({names}); đặt khoá id khác nhau"))
    return plans, invalid


def _refused(out: Path, plan_id: str, path: Path, message: str) -> combine.PlanState:
    db = plan_db(out, plan_id)
    state = combine.PlanState(plan_id, "", str(path), "invalid", message, None)
    if db.exists():  # its last published rows stay, marked stale
        state.status, state.db = "stale", db
    return state


@flow(name="province")
def province_run(folder: str, out: str, notify: bool = True, workers: int = 0) -> ProvinceSummary:
    """Run every plan of the province folder into its own file, then build the province file.
    `workers`: 0 runs the plans here, one after another; n > 0 submits one deployment run per
    plan to the work pool's process workers, at most n at once (workers.py), and waits."""
    from flows.nightly import nightly

    province = settings.load(Path(folder))
    out_path = Path(out)
    out_path.mkdir(parents=True, exist_ok=True)
    published = out_path / PROVINCE_DB
    started = dt.datetime.now(TZ)
    run_id = started.strftime("%Y%m%dT%H%M%S%f")
    summary = ProvinceSummary(province.name)
    with RunLock(published, command="chiso run --province"):
        plans, invalid = _read_plans(province, out_path)
        routes = routing.route(province.inbox, plans, encodings_of(province.raw),
                               refused={s.plan_id for s in invalid})
        summary.unrouted = routes.unrouted
        for path, reason in routes.unrouted:
            log.warning("not routed: %s (%s)", path, reason)
        submitted = {}
        if workers:
            from flows.province import workers as pool

            pool.ensure_deployment(workers)
        for plan in plans:
            db = plan_db(out_path, plan.id)
            db.parent.mkdir(parents=True, exist_ok=True)
            inbox = out_path / "route" / plan.id
            _link_inbox(inbox, routes.files[plan.id], province.inbox)
            state = combine.PlanState(plan.id, plan.title, str(plan.path), "published", None, db)
            summary.states.append(state)
            parameters = {"inbox": str(inbox.resolve()), "plan": str(plan.path.resolve()),
                          "db": str(db.resolve()), "notify": notify}
            if workers:
                submitted[pool.submit(parameters)] = state
                continue
            console.step(f"Kế hoạch {plan.id}: {len(routes.files[plan.id])} tệp…")
            try:
                nightly(**parameters)
            except Exception as exc:  # one plan's failure never stops the others
                log.exception("plan %s failed", plan.id)
                _failed(state, str(exc) or type(exc).__name__)
        if submitted:
            console.step(f"Chờ {len(submitted)} lượt chạy trên các worker của Prefect…")
            outcomes = pool.wait(list(submitted))
            for flow_run_id, state in submitted.items():
                outcome = outcomes.get(flow_run_id)
                if outcome is None or outcome.state != "COMPLETED":
                    what = (f"kết thúc ở trạng thái {outcome.state} của Prefect" if outcome
                            else "không kết thúc")
                    log.error("plan %s: flow run %s %s", state.plan_id, flow_run_id,
                              outcome.state if outcome else "did not end")
                    _failed(state, f"lượt chạy {flow_run_id} trên worker {what}"
                            + (f" ({outcome.message})" if outcome and outcome.message else ""))
        summary.states += invalid
        summary.province_db = combine.build(
            published, run_id, started, province.name, summary.states, summary.unrouted,
            province.office)
    # after the province file is published: no email cites unpublished numbers
    if notify and province.office.get("email"):
        from flows.notify.province import run_province_digest

        summary.digest = run_province_digest(
            published, province.office, run_id,
            every_days=province.raw.get("digest_every_days", 7))
    return summary
