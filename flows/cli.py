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
    return _run(Path(args.inbox), Path(args.plan), Path(args.db))


def _cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild a past run from the archive into a new database: no email is sent."""
    from flows.intake import archive_dir, restore

    out = Path(args.out)
    if (out / "inbox").exists():
        print(f"chiso rebuild: {out / 'inbox'} exists already: choose an empty --out folder",
              file=sys.stderr)
        return EXIT_FAILED
    try:
        inbox, plan, started_at = restore(archive_dir(Path(args.db)), args.run_id, out)
    except FileNotFoundError as exc:
        print(f"chiso rebuild: {exc}", file=sys.stderr)
        return EXIT_FAILED
    # as of the date the run had: deadlines and the history's dates are those it published
    return _run(inbox, plan, out / "chiso.duckdb", notify=False, started_at=started_at)


def _run(
    inbox: Path, plan: Path, db: Path, notify: bool = True, started_at: str | None = None
) -> int:
    from flows.errors import ChisoError
    from flows.lock import Busy, RunLock
    from flows.plan import load_plan

    try:
        load_plan(plan)  # a bad plan is refused before anything starts
    except ChisoError as exc:
        print(f"chiso: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with RunLock(db):
            # Prefect starts only once the lock is held: a refused run costs nothing.
            from flows.nightly import nightly
            from flows.summary import render

            try:
                summary = nightly(inbox=str(inbox), plan=str(plan), db=str(db), notify=notify,
                                  started_at=started_at)
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


def _cmd_serve(args: argparse.Namespace) -> int:
    from flows.errors import ChisoError
    from flows.schedule import serve

    missing = [f"--{name} (or CHISO_{name.upper()})"
               for name in ("plan", "inbox") if not getattr(args, name)]
    if missing:
        print(f"chiso serve: refusing to start without {' and '.join(missing)}; the bundled"
              " sample is for `make demo` only. Example: chiso serve --plan /srv/chiso/plan.yaml"
              " --inbox /srv/chiso/inbox", file=sys.stderr)
        return EXIT_FAILED
    try:
        serve(Path(args.inbox), Path(args.plan), Path(args.db), args.cron, args.timezone)
    except ChisoError as exc:
        print(f"chiso serve: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _cmd_alerts(args: argparse.Namespace) -> int:
    from flows import alerts
    from flows.errors import ChisoError
    from flows.lock import Busy, RunLock
    from flows.plan import load_plan
    from flows.summary import render_alerts

    db = Path(args.db)
    if not db.exists():
        print(f"chiso alerts: {db} does not exist yet; run `chiso run` first", file=sys.stderr)
        return EXIT_FAILED
    try:
        plan = load_plan(Path(args.plan))
        if args.preview:
            report = alerts.run_alerts(db, plan, run_id="preview", preview=True)
            for msg in report.messages:
                print(f"=== {msg.kind} → {msg.recipient}\nTiêu đề: {msg.subject}\n\n{msg.text}\n")
            if not report.messages:
                print("Không có thư nào sẽ được gửi.")
            return EXIT_OK
        with RunLock(db):
            report = alerts.run_alerts(db, plan, run_id="alerts-cli")
        print(render_alerts(report))
        return EXIT_OK
    except Busy as exc:
        print(f"chiso: another run is in progress: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except ChisoError as exc:
        print(f"chiso alerts: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _cmd_report(args: argparse.Namespace) -> int:
    from flows.report import write_report

    db = Path(args.db)
    if not db.exists():
        print(f"chiso report: {db} does not exist yet; run `chiso run` first", file=sys.stderr)
        return EXIT_FAILED
    html_path, xlsx_path = write_report(db, Path(args.out))
    print(html_path)
    print(xlsx_path)
    return EXIT_OK


def _cmd_appendices(args: argparse.Namespace) -> int:
    from flows.appendices import write_appendices
    from flows.errors import ChisoError
    from flows.plan import load_plan

    db = Path(args.db)
    if not db.exists():
        print(f"chiso appendices: {db} does not exist yet; run `chiso run` first", file=sys.stderr)
        return EXIT_FAILED
    try:
        plan = load_plan(Path(args.plan))  # the issuer's names for the heading block
        docx_path, xlsx_path = write_appendices(db, Path(args.out), plan.raw)
    except ChisoError as exc:
        print(f"chiso appendices: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(docx_path)
    print(xlsx_path)
    return EXIT_OK


def _cmd_gen(args: argparse.Namespace) -> int:
    from flows.generate import generate

    manifest = generate(args.scale, Path(args.out), args.seed)
    for name, n in manifest["rows"].items():
        print(f"{Path(args.out) / name}: {n:,} rows")
    print(f"{Path(args.out) / 'plan.yaml'}: the plan for them")
    return EXIT_OK


def _cmd_bench(args: argparse.Namespace) -> int:
    import json

    from flows.bench import render, run_bench

    work = Path(args.work or f"var/bench/{args.scale}")
    try:
        result = run_bench(args.scale, work, args.seed, start_server=args.prefect_server)
    except RuntimeError as exc:
        print(f"chiso bench: {exc}", file=sys.stderr)
        return EXIT_FAILED
    out = Path(args.json) if args.json else work / "bench.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(render(result))
    print(f"\n{out}")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from flows.errors import ChisoError
    from flows.ingest import check_files, render_check
    from flows.plan import encodings_of, load_plan

    logging.getLogger().setLevel(logging.WARNING)  # the answer is the printout, not the log
    try:
        encodings = load_plan(Path(args.plan)).encodings if args.plan else []
        if args.encoding:
            encodings = [("*", name) for _, name in encodings_of({"encoding": args.encoding})]
        outcomes = check_files([Path(f) for f in args.files], encodings)
    except LookupError:
        print(f"chiso check: --encoding {args.encoding!r}: bảng mã không có trong Python"
              " (ví dụ windows-1258)", file=sys.stderr)
        return EXIT_FAILED
    except ChisoError as exc:
        print(f"chiso check: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(render_check(outcomes))
    return EXIT_OK if all(o.status == "loaded" for o in outcomes) else 1


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
    rebuild = sub.add_parser(
        "rebuild", help="rebuild a past run from the archive into a new database (no emails)"
    )
    rebuild.add_argument("run_id", metavar="RUN_ID", help="as in the runs table, e.g."
                         " 20261128T010000-a1b2c3 (archive/runs/ lists them)")
    rebuild.add_argument("--db", default=os.environ.get("CHISO_DB", DEFAULT_DB),
                         help="published DuckDB file whose archive holds the run"
                         " (default: var/chiso.duckdb)")
    rebuild.add_argument("--out", required=True,
                         help="empty folder: the run's inbox and plan, and chiso.duckdb")
    rebuild.set_defaults(func=_cmd_rebuild)
    alerts_cmd = sub.add_parser(
        "alerts", help="send what is due from the published results (--preview: only show it)"
    )
    alerts_cmd.add_argument("--preview", action="store_true",
                            help="render what would be sent, send nothing, change nothing")
    alerts_cmd.add_argument("--plan", default=os.environ.get("CHISO_PLAN", DEFAULT_PLAN))
    alerts_cmd.add_argument("--db", default=os.environ.get("CHISO_DB", DEFAULT_DB))
    alerts_cmd.set_defaults(func=_cmd_alerts)
    serve = sub.add_parser("serve", help="serve the nightly deployment on a cron schedule")
    serve.add_argument("--plan", default=os.environ.get("CHISO_PLAN"), help="plan YAML (required)")
    serve.add_argument("--inbox", default=os.environ.get("CHISO_INBOX"),
                       help="folder of extracts (required)")
    serve.add_argument("--db", default=os.environ.get("CHISO_DB", DEFAULT_DB),
                       help="published DuckDB file (default: var/chiso.duckdb)")
    serve.add_argument("--cron", default=os.environ.get("CHISO_CRON", "0 1 * * *"),
                       help='cron expression (default: "0 1 * * *", 01:00 every day)')
    serve.add_argument("--timezone", default=os.environ.get("CHISO_TIMEZONE", "Asia/Ho_Chi_Minh"),
                       help="IANA timezone of the cron expression (default: Asia/Ho_Chi_Minh)")
    serve.set_defaults(func=_cmd_serve)
    report = sub.add_parser("report",
                            help="write the Office's report (HTML) and the gap tables (XLSX)")
    report.add_argument("--db", default=os.environ.get("CHISO_DB", DEFAULT_DB),
                        help="published DuckDB file, read-only (default: var/chiso.duckdb)")
    report.add_argument("--out", default="var/report",
                        help="folder for the report files (default: var/report/)")
    report.set_defaults(func=_cmd_report)
    appendices = sub.add_parser(
        "appendices", help="write the plan's Phụ lục 1-4 (DOCX and XLSX) from the published results"
    )
    appendices.add_argument("--db", default=os.environ.get("CHISO_DB", DEFAULT_DB),
                            help="published DuckDB file, read-only (default: var/chiso.duckdb)")
    appendices.add_argument("--plan", default=os.environ.get("CHISO_PLAN", DEFAULT_PLAN),
                            help="plan YAML, for the issuer in the heading (default: the sample)")
    appendices.add_argument("--out", default="var/report",
                            help="folder for the appendix files (default: var/report/)")
    appendices.set_defaults(func=_cmd_appendices)
    gen = sub.add_parser("gen", help="write synthetic extracts and a plan (for the benchmark)")
    gen.add_argument("--scale", choices=("small", "province", "national"), default="small")
    gen.add_argument("--out", required=True, help="folder for the extracts and plan.yaml")
    gen.add_argument("--seed", type=int, default=2024, help="same seed, same bytes")
    gen.set_defaults(func=_cmd_gen)
    bench = sub.add_parser("bench", help="measure the nightly run against the floor")
    bench.add_argument("--scale", choices=("small", "province", "national"), default="national")
    bench.add_argument("--work", help="folder for extracts, databases, logs (var/bench/SCALE)")
    bench.add_argument("--json", help="write the results here too (default: WORK/bench.json)")
    bench.add_argument("--seed", type=int, default=2024)
    bench.add_argument("--prefect-server", action="store_true",
                       help="start a Prefect server for the runs, as a served deployment has"
                       " (default: PREFECT_API_URL if set, else Prefect's temporary server)")
    bench.set_defaults(func=_cmd_bench)
    check = sub.add_parser(
        "check", help="say whether extract files would load, and why not, before dropping them in"
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="CSV or XLSX extracts")
    check.add_argument("--plan", default=os.environ.get("CHISO_PLAN"),
                       help="plan YAML, for its `encoding` (default: CHISO_PLAN, if set)")
    check.add_argument("--encoding", help="encoding of CSV files that are not UTF-8"
                       " (e.g. windows-1258); overrides the plan's")
    check.set_defaults(func=_cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
