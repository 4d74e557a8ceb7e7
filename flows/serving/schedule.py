"""The nightly schedule: register the `nightly/nightly` deployment with a cron schedule and
serve it from this process, next to a Prefect server (`prefect server start`).

Everything is checked before Prefect starts, so a wrong plan, inbox, cron expression,
timezone or server address is a one-line message, not a served deployment that never runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import available_timezones

from flows.errors import ConfigError
from flows.plan import load_plan

DEPLOYMENT = "nightly"  # the flow is `nightly` too: the full name is nightly/nightly
DEFAULT_CRON = "0 1 * * *"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class ServeSettings:
    """What `serve` registers, checked: absolute paths, a valid cron and IANA timezone."""

    inbox: Path
    plan: Path
    db: Path
    cron: str
    timezone: str
    api_url: str

    @property
    def parameters(self) -> dict[str, str]:
        """The flow's parameters for every scheduled run (strings, as `nightly` takes them)."""
        return {"inbox": str(self.inbox), "plan": str(self.plan), "db": str(self.db)}


def check_cron(cron: str) -> str:
    """A cron expression Prefect accepts (five fields, no random or hashed entries)."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    if len(cron.split()) != 5:
        raise ConfigError(
            f"cron {cron!r}: cần năm trường (phút giờ ngày tháng thứ), ví dụ {DEFAULT_CRON!r}"
            " là 01:00 mỗi ngày"
        )
    try:
        CronSchedule(cron=cron)
    except ValidationError as exc:
        reason = str(exc.errors()[0].get("msg", exc)).removeprefix("Value error, ")
        raise ConfigError(
            f"cron {cron!r} không hợp lệ ({reason}); ví dụ {DEFAULT_CRON!r} chạy lúc 01:00"
            " mỗi ngày"
        ) from None
    return cron


def check_timezone(timezone: str) -> str:
    """An IANA timezone name, the set Prefect validates against."""
    if timezone not in available_timezones():
        raise ConfigError(
            f"timezone {timezone!r} không phải tên múi giờ IANA; ví dụ {DEFAULT_TIMEZONE!r}"
            " hoặc 'UTC'"
        )
    return timezone


def check_api_url() -> str:
    """The Prefect server to register with. Without one Prefect would start a temporary
    server that runs no scheduler and vanishes with this process: the schedule would
    never fire, so refuse instead."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise ConfigError(
            "chưa có máy chủ Prefect: khởi động bằng `prefect server start` (hoặc `chiso server"
            " start`) và đặt PREFECT_API_URL=http://127.0.0.1:4200/api trước `chiso serve`"
        )
    return url


def check(
    inbox: Path,
    plan: Path,
    db: Path,
    cron: str = DEFAULT_CRON,
    timezone: str = DEFAULT_TIMEZONE,
) -> ServeSettings:
    """Check everything `serve` needs, in the order a person would fix it."""
    load_plan(Path(plan))  # PlanError names the key that is wrong
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise ConfigError(f"inbox {inbox}: không phải thư mục; cần thư mục nhận các tệp trích xuất")
    db = Path(db)
    if db.exists() and not db.is_file():
        raise ConfigError(f"db {db}: đã có và không phải một tệp; cần đường dẫn tệp DuckDB")
    return ServeSettings(
        inbox=inbox.resolve(),
        plan=Path(plan).resolve(),
        db=db.resolve(),
        cron=check_cron(cron),
        timezone=check_timezone(timezone),
        api_url=check_api_url(),
    )


def check_server(api_url: str) -> None:
    """Fail with the address if the Prefect server does not answer."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        raise ConfigError(
            f"máy chủ Prefect tại {api_url} không trả lời ({problem}); `prefect server start`"
            " có đang chạy không, PREFECT_API_URL có đúng không?"
        )


def serve(
    inbox: Path,
    plan: Path,
    db: Path,
    cron: str = DEFAULT_CRON,
    timezone: str = DEFAULT_TIMEZONE,
) -> None:
    """Register `nightly/nightly` on `cron` in `timezone` with these paths, and serve it
    until SIGINT/SIGTERM (which pause the schedule; serving again resumes it)."""
    settings = check(inbox, plan, db, cron, timezone)
    check_server(settings.api_url)

    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows.nightly import nightly
    from flows.serving import warm_start

    # Each run is forked from a process that has imported chiso and GX (serving/warm_start.py),
    # unless asked not to (CHISO_WARM_STARTS=0: Prefect's own start, a new interpreter a run).
    if os.environ.get(warm_start.SWITCH, "1") != "0":
        warm_start.enable()
    nightly.serve(
        name=DEPLOYMENT,
        schedules=[Cron(settings.cron, timezone=settings.timezone)],
        parameters=settings.parameters,
        description=(
            f"Nightly run of chiso on {settings.inbox}, plan {settings.plan},"
            f" publishing {settings.db}"
        ),
        # Runs import flows.nightly from the installed package, whatever the working folder.
        entrypoint_type=EntrypointType.MODULE_PATH,
        # Two runs on one database would fight over it: one at a time from this server.
        limit=1,
    )
