"""The `chiso` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import flows  # noqa: F401  (sets the no-analytics environment first)

EXIT_OK, EXIT_FAILED, EXIT_LOCKED = 0, 2, 75
log = logging.getLogger("chiso")


def _cmd_run(args: argparse.Namespace) -> int:
    from flows.errors import ChisoError
    from flows.lock import Busy, RunLock
    from flows.plan import load_plan

    db = Path(args.db)
    try:
        load_plan(Path(args.plan))  # a bad plan is refused before anything starts
    except ChisoError as exc:
        print(f"chiso: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with RunLock(db):
            # Prefect starts only once the lock is held: a refused run costs nothing.
            from flows.nightly import nightly
            from flows.summary import render

            try:
                summary = nightly(inbox=str(args.inbox), plan=str(args.plan), db=str(db))
            except ChisoError as exc:
                print(f"chiso: không chạy được / run failed: {exc}", file=sys.stderr)
                return EXIT_FAILED
            except Exception as exc:  # anything else: nothing was published
                log.exception("run failed")
                print(f"chiso: run failed, nothing published: {exc}", file=sys.stderr)
                return EXIT_FAILED
            print(render(summary, str(db)))
            return EXIT_OK
    except Busy as exc:
        print(f"chiso: another run is in progress: {exc}", file=sys.stderr)
        return EXIT_LOCKED


def build_parser() -> argparse.ArgumentParser:
    from flows.nightly import DEFAULT_DB, DEFAULT_INBOX, DEFAULT_PLAN

    parser = argparse.ArgumentParser(
        prog="chiso",
        description="Track PAR INDEX, SIPAS and PAPI targets: extracts in, checked gap tables out.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the nightly flow once")
    run.add_argument("--inbox", default=os.environ.get("CHISO_INBOX", DEFAULT_INBOX),
                     help="folder of extracts (default: the bundled sample)")
    run.add_argument("--plan", default=os.environ.get("CHISO_PLAN", DEFAULT_PLAN),
                     help="plan YAML (default: the bundled sample plan)")
    run.add_argument("--db", default=os.environ.get("CHISO_DB", DEFAULT_DB),
                     help="published DuckDB file (default: var/chiso.duckdb)")
    run.set_defaults(func=_cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
