"""Plans of a province as Prefect deployment runs over a work pool of process workers.

One deployment runs one plan (`nightly/plan-run`: the nightly flow, loaded from this project's
folder, parameters naming the plan, its inbox and its file); the work pool `chiso-plans`
(type process) caps how many run at once (its concurrency limit); `prefect worker start --pool
chiso-plans` on each machine (or twice on one) takes the runs. The province run submits one run
per plan, waits for all of them, and reads each one's final state: Completed is published;
Failed, Crashed (a worker's process killed) or Cancelled is reported, and that plan's last
published file stays (stale). Needs a Prefect server (PREFECT_API_URL)."""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass
from uuid import UUID

from flows.paths import ROOT

POOL = "chiso-plans"
DEPLOYMENT = "plan-run"
FULL_NAME = f"nightly/{DEPLOYMENT}"
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Outcome:
    flow_run_id: UUID
    state: str  # COMPLETED, FAILED, CRASHED, CANCELLED, ...
    message: str | None


def ensure_deployment(concurrency: int) -> None:
    """The work pool (process workers, at most `concurrency` plans at once) and the plan-run
    deployment, created or updated."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectAlreadyExists

    from flows.nightly import nightly

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=POOL, type="process",
                                                   concurrency_limit=concurrency))
        except ObjectAlreadyExists:
            client.update_work_pool(POOL, WorkPoolUpdate(concurrency_limit=concurrency))
    source = nightly.from_source(source=str(ROOT), entrypoint="flows/nightly.py:nightly")
    with contextlib.redirect_stdout(io.StringIO()):  # Prefect prints a table of what it applied
        source.deploy(name=DEPLOYMENT, work_pool_name=POOL, build=False, push=False,
                      print_next_steps=False, ignore_warnings=True)


def submit(parameters: dict[str, object]) -> UUID:
    """One plan's run, queued for the pool's workers (returns at once)."""
    from prefect.deployments import run_deployment

    run = run_deployment(name=FULL_NAME, parameters=parameters, timeout=0, as_subflow=True)
    return run.id


def wait(runs: list[UUID], timeout: float | None = None) -> dict[UUID, Outcome]:
    """Each run's final state, polling the server."""
    from prefect.client.orchestration import get_client

    done: dict[UUID, Outcome] = {}
    started = time.monotonic()
    with get_client(sync_client=True) as client:
        while len(done) < len(runs):
            for run_id in runs:
                if run_id in done:
                    continue
                state = client.read_flow_run(run_id).state
                if state is not None and state.is_final():
                    done[run_id] = Outcome(run_id, state.type.value, state.message)
            if len(done) < len(runs):
                if timeout is not None and time.monotonic() - started > timeout:
                    break
                time.sleep(POLL_SECONDS)
    return done
