"""The `chiso` command line: options in English, everything a person reads in Vietnamese.

Building the parser imports nothing heavy (`chiso --help` answers in a fraction of a second);
each command imports what it needs when it runs. Logs go to a file (flows/logs.py); the
console carries the summary, progress lines on a terminal, and errors as one or two lines.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import flows  # noqa: F401  (sets the no-analytics environment first)
from flows import console
from flows.paths import DEFAULT_DB, DEFAULT_INBOX, DEFAULT_PLAN, log_dir, var_dir

EXIT_OK, EXIT_FAILED, EXIT_LOCKED = 0, 2, 75
log = logging.getLogger("chiso")

# argparse's own words, in Vietnamese. argparse looks each up through its module-level `_`
# when it prints, so replacing that function is enough (this process only: Prefect's command
# line does not use argparse).
ARGPARSE_VI = {
    "usage: ": "Cách dùng: ",
    "positional arguments": "tham số",
    "options": "tuỳ chọn",
    "show this help message and exit": "in hướng dẫn này rồi thoát",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "unrecognized arguments: %s": "không hiểu tham số: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "lựa chọn không hợp lệ: %(value)r (chọn một trong %(choices)s)",
    "expected one argument": "cần một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "invalid %(type)s value: %(value)r": "giá trị %(type)s không hợp lệ: %(value)r",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "ambiguous option: %(option)s could match %(matches)s":
        "tuỳ chọn mơ hồ: %(option)s có thể là %(matches)s",
    "not allowed with argument %s": "không dùng cùng với %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
}
argparse._ = lambda text: ARGPARSE_VI.get(text, text)  # type: ignore[attr-defined]


def _say_error(command: str, message: str) -> int:
    console.say(f"chiso {command}: {message}")
    return EXIT_FAILED


def _log_hint(path: Path | None) -> str:
    return f" Chi tiết: {path}" if path else ""


# --- run, rebuild --------------------------------------------------------------------------

def _check_run_paths(inbox: Path, plan: Path, db: Path, default_db: bool) -> str | None:
    """What stops a run before anything starts, in Vietnamese; None when all is in place."""
    if not inbox.exists():
        return (f"không có thư mục nhận dữ liệu {inbox}: kiểm tra --inbox (hoặc CHISO_INBOX);"
                " đó phải là thư mục chứa các tệp trích xuất .csv, .xlsx")
    if not inbox.is_dir():
        return f"{inbox} không phải một thư mục: --inbox phải là thư mục chứa các tệp trích xuất"
    if not plan.is_file():
        return (f"không có tệp kế hoạch {plan}: kiểm tra --plan (hoặc CHISO_PLAN); mẫu ở"
                f" {DEFAULT_PLAN}")
    if db.exists() and not db.is_file():
        return f"{db} không phải một tệp: --db là đường dẫn tệp DuckDB, ví dụ var/chiso.duckdb"
    if not db.parent.is_dir():
        if default_db:
            db.parent.mkdir(parents=True, exist_ok=True)
        else:
            return (f"không có thư mục {db.parent} để chứa cơ sở dữ liệu: tạo thư mục đó, hoặc"
                    " chọn --db khác")
    return None


def _cmd_run(args: argparse.Namespace) -> int:
    if args.province:
        folder = Path(args.province)
        return _run_province(folder, Path(args.out) if args.out else folder / "var",
                             log_path=args.log_path, workers=args.workers)
    db = Path(args.db)
    problem = _check_run_paths(Path(args.inbox), Path(args.plan), db, db == DEFAULT_DB)
    if problem:
        return _say_error("run", problem)
    if not args.warm:
        from flows.serving import server

        code = server.run_remote(args.argv)
        if code is not None:
            return code
    return _run(Path(args.inbox), Path(args.plan), db, log_path=args.log_path)


def _cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild a past run from the archive into a new database: no email is sent."""
    from flows.intake.inbox import archive_dir, restore

    out = Path(args.out)
    if (out / "inbox").exists():
        return _say_error("rebuild", f"{out / 'inbox'} đã có: chọn một thư mục --out trống")
    try:
        inbox, plan, started_at = restore(archive_dir(Path(args.db)), args.run_id, out)
    except FileNotFoundError as exc:
        return _say_error("rebuild", str(exc))
    # as of the date the run had: deadlines and the history's dates are those it published
    return _run(inbox, plan, out / "chiso.duckdb", notify=False, started_at=started_at,
                log_path=args.log_path)


def _run(
    inbox: Path, plan: Path, db: Path, notify: bool = True, started_at: str | None = None,
    log_path: Path | None = None,
) -> int:
    from flows.errors import ChisoError
    from flows.plan import load_plan
    from flows.warehouse.lock import Busy, RunLock

    console.step("Đọc kế hoạch…")
    try:
        load_plan(plan)  # a bad plan is refused before anything starts
    except ChisoError as exc:
        return _say_error("run", str(exc))
    try:
        with RunLock(db, command="chiso run"):
            # Prefect starts only once the lock is held: a refused run costs nothing.
            temporary = not os.environ.get("PREFECT_API_URL")
            if temporary:
                console.step("Khởi động Prefect tạm thời (chưa có `chiso server start`)…")
            from flows import logs
            from flows.documents.summary import render
            from flows.nightly import nightly

            logs.tame_third_party()
            try:
                summary = nightly(inbox=str(inbox), plan=str(plan), db=str(db), notify=notify,
                                  started_at=started_at)
            except ChisoError as exc:
                log.error("run failed: %s", exc)
                return _say_error("run", f"không chạy được, không công bố gì: {exc}")
            except Exception as exc:  # anything else: nothing was published
                log.exception("run failed")
                return _say_error(
                    "run", "lượt chạy thất bại, không công bố gì (cơ sở dữ liệu giữ nguyên như"
                    f" trước). Lỗi: {exc}.{_log_hint(log_path)}")
            print(render(summary, str(db), log_path=log_path))
            if temporary and console.enabled():
                console.say("Mẹo: `chiso server start` giữ sẵn Prefect và các thư viện; các"
                            " lượt `chiso run` sau đó chạy trong vài giây.")
            return EXIT_OK
    except Busy as exc:
        console.say(f"chiso run: {exc.message_vi(db)}")
        return EXIT_LOCKED


def _run_province(folder: Path, out: Path, log_path: Path | None = None, workers: int = 0) -> int:
    """Every plan of a province folder, each into its own file, then the province file:
    0 every plan published, 3 some did, 2 none, 75 locked. With `workers`, the plans run as
    deployment runs on the work pool's process workers (a Prefect server is needed)."""
    from flows.errors import ChisoError
    from flows.province import settings
    from flows.warehouse.lock import Busy

    try:
        settings.load(folder)
    except ChisoError as exc:
        return _say_error("run --province", str(exc))
    if workers and not os.environ.get("PREFECT_API_URL"):
        from flows.serving import server

        state = server.status()
        if not state or not state.get("prefect_alive"):
            return _say_error("run --province", "--workers cần một máy chủ Prefect mà các worker"
                              " cùng dùng: `chiso server start`, hoặc đặt PREFECT_API_URL; rồi"
                              " chạy `prefect worker start --pool chiso-plans` (một hoặc nhiều)")
        os.environ["PREFECT_API_URL"] = state["api_url"]
    if not os.environ.get("PREFECT_API_URL"):
        console.step("Khởi động Prefect tạm thời (chưa có `chiso server start`)…")
    from flows import logs
    from flows.documents.province import render_run
    from flows.province.run import PROVINCE_DB, province_run

    logs.tame_third_party()
    try:
        summary = province_run(folder=str(folder), out=str(out), workers=workers)
    except Busy as exc:
        console.say(f"chiso run --province: {exc.message_vi(out / PROVINCE_DB)}")
        return EXIT_LOCKED
    except ChisoError as exc:
        return _say_error("run --province", str(exc))
    except Exception as exc:
        log.exception("province run failed")
        return _say_error("run --province", "lượt chạy của tỉnh thất bại trước khi lập tệp tổng"
                          f" hợp (tệp tổng hợp giữ nguyên như trước). Lỗi: {exc}."
                          f"{_log_hint(log_path)}")
    print(render_run(summary.province_db))
    return summary.exit_code


# --- the schedule, the warm server ------------------------------------------------------------

def _cmd_serve(args: argparse.Namespace) -> int:
    from flows.errors import ChisoError
    from flows.serving.schedule import serve

    missing = [f"--{name} (hoặc CHISO_{name.upper()})"
               for name in ("plan", "inbox") if not getattr(args, name)]
    if missing:
        return _say_error(
            "serve", f"không khởi động khi thiếu {' và '.join(missing)}; dữ liệu mẫu chỉ dùng"
            " cho `make demo`. Ví dụ: chiso serve --plan /srv/chiso/plan.yaml"
            " --inbox /srv/chiso/inbox")
    try:
        serve(Path(args.inbox), Path(args.plan), Path(args.db), args.cron, args.timezone)
    except ChisoError as exc:
        return _say_error("serve", str(exc))
    return EXIT_OK


def _cmd_server(args: argparse.Namespace) -> int:
    from flows.serving import server

    if args.action == "start":
        console.say("Đang khởi động máy chủ Prefect và tiến trình sẵn sàng (lần đầu mất"
                    " khoảng 20 giây)…")
        try:
            state = server.start(args.port)
        except (RuntimeError, OSError) as exc:
            return _say_error("server start", f"không khởi động được: {exc}")
        if state.get("already"):
            print("Máy chủ chiso đã chạy từ trước.")
        print(_server_status_text(state))
        return EXIT_OK
    if args.action == "stop":
        stopped = server.stop()
        print("Đã dừng máy chủ chiso." if stopped else "Máy chủ chiso không chạy.")
        return EXIT_OK
    state = server.status()
    if not state:
        print("Máy chủ chiso không chạy. Khởi động: chiso server start")
        return 3
    print(_server_status_text(state))
    return EXIT_OK if state["prefect_alive"] and state["warm_alive"] else 3


def _server_status_text(state: dict) -> str:
    ok = {True: "đang chạy", False: "KHÔNG trả lời"}
    return "\n".join([
        f"Prefect: {ok[state['prefect_alive']]} tại {state['api_url'].removesuffix('/api')}"
        f" (giao diện web; tiến trình {state['prefect_pid']})",
        f"Tiến trình sẵn sàng: {ok[state['warm_alive']]} (tiến trình {state['warm_pid']},"
        f" ổ cắm {state['socket']})",
        f"Khởi động lúc: {state['started_at']}; nhật ký: {state['logs']}",
        "Các lệnh `chiso run` chạy trong tiến trình sẵn sàng khi máy chủ đang chạy."
        if state["prefect_alive"] and state["warm_alive"] else
        "Khởi động lại: chiso server stop && chiso server start",
    ])


# --- emails, documents ------------------------------------------------------------------------

def _existing_db(command: str, db: Path) -> str | None:
    if not db.exists():
        return f"chưa có cơ sở dữ liệu {db}: chạy `chiso run` trước, hoặc chỉ --db khác"
    return None


def _cmd_alerts(args: argparse.Namespace) -> int:
    from flows.documents.summary import render_alerts
    from flows.errors import ChisoError
    from flows.notify import alerts
    from flows.plan import load_plan
    from flows.warehouse.lock import Busy, RunLock

    db = Path(args.db)
    if problem := _existing_db("alerts", db):
        return _say_error("alerts", problem)
    try:
        plan = load_plan(Path(args.plan))
        if args.preview:
            report = alerts.run_alerts(db, plan, run_id="preview", preview=True)
            for msg in report.messages:
                print(f"=== {msg.kind} → {msg.recipient}\nTiêu đề: {msg.subject}\n\n{msg.text}\n")
            if not report.messages:
                print("Không có thư nào sẽ được gửi.")
            return EXIT_OK
        with RunLock(db, command="chiso alerts"):
            report = alerts.run_alerts(db, plan, run_id="alerts-cli")
        print(render_alerts(report))
        return EXIT_OK
    except Busy as exc:
        console.say(f"chiso alerts: {exc.message_vi(db)}")
        return EXIT_LOCKED
    except ChisoError as exc:
        return _say_error("alerts", str(exc))


def _out_dir(args: argparse.Namespace) -> Path:
    """Where documents go: --out, else report/ beside the database (wherever chiso runs)."""
    return (Path(args.out) if args.out else Path(args.db).parent / "report").resolve()


def _open(path: Path) -> None:
    """Open a file with the desktop's default program, where there is a desktop."""
    opener = shutil.which("xdg-open") or shutil.which("open")
    has_desktop = sys.platform == "darwin" or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if not (opener and has_desktop):
        console.say(f"Không có màn hình (desktop) để mở tệp; mở bằng tay: {path}")
        return
    subprocess.Popen([opener, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def _cmd_report(args: argparse.Namespace) -> int:
    from flows.documents.report import write_report
    from flows.errors import ChisoError

    if args.province:
        return _province_report(Path(args.province), args)

    db = Path(args.db)
    if problem := _existing_db("report", db):
        return _say_error("report", problem)
    try:
        html_path, xlsx_path = write_report(db, _out_dir(args))
    except ChisoError as exc:
        return _say_error("report", str(exc))
    print(html_path)
    print(xlsx_path)
    if args.open:
        _open(html_path)
    return EXIT_OK


def _province_report(where: Path, args: argparse.Namespace) -> int:
    """The monitoring office's overview: from a province folder (its var/province.duckdb) or a
    province file; each plan's own report is written beside its file and linked."""
    from flows.documents.province import write_overview
    from flows.errors import ChisoError
    from flows.province.run import PROVINCE_DB

    if not where.exists():
        return _say_error("report --province", f"không có thư mục hoặc tệp {where}")
    # the province file itself, a folder holding it (a run's --out), or the province folder
    db = where if where.is_file() else next(
        (c for c in (where / PROVINCE_DB, where / "var" / PROVINCE_DB) if c.is_file()), None)
    if db is None:
        hint = (f"chạy `chiso run --province {where}` trước, hoặc chỉ thẳng tệp"
                f" {PROVINCE_DB} nếu lượt chạy đã dùng --out" if (where / "province.yaml").is_file()
                else f"chỉ thư mục tỉnh (có province.yaml) hoặc tệp {PROVINCE_DB}")
        return _say_error("report --province", f"không thấy tệp tổng hợp của tỉnh trong"
                          f" {where}: {hint}")
    try:
        html_path, xlsx_path = write_overview(db, Path(args.out) if args.out
                                              else db.parent / "report")
    except ChisoError as exc:
        return _say_error("report --province", str(exc))
    print(html_path)
    print(xlsx_path)
    if args.open:
        _open(html_path)
    return EXIT_OK


def _cmd_appendices(args: argparse.Namespace) -> int:
    from flows.documents.appendices import write_appendices
    from flows.errors import ChisoError
    from flows.plan import load_plan

    db = Path(args.db)
    if problem := _existing_db("appendices", db):
        return _say_error("appendices", problem)
    try:
        plan = load_plan(Path(args.plan))  # the issuer's names for the heading block
        docx_path, xlsx_path = write_appendices(db, _out_dir(args), plan.raw)
    except ChisoError as exc:
        return _say_error("appendices", str(exc))
    print(docx_path)
    print(xlsx_path)
    if args.open:
        _open(docx_path)
    return EXIT_OK


# --- analysts ---------------------------------------------------------------------------------

def _cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from flows.documents import query
    from flows.errors import ChisoError

    fmt = "csv" if args.csv else "json" if args.json else "table"
    try:
        con = query.connect(Path(args.db))
    except ChisoError as exc:
        return _say_error("sql", str(exc))
    except duckdb.Error as exc:
        return _say_error("sql", f"không mở được {args.db} để đọc: {exc}")
    try:
        if args.query is not None or not sys.stdin.isatty():
            text = args.query if args.query is not None else sys.stdin.read()
            try:
                query.run_query(con, text, fmt, sys.stdout)
            except duckdb.Error as exc:
                return _say_error("sql", f"câu truy vấn lỗi: {exc}")
            return EXIT_OK
        return query.interactive(con, fmt)
    finally:
        con.close()


def _cmd_runs(args: argparse.Namespace) -> int:
    import duckdb

    from flows.documents import history, query
    from flows.errors import ChisoError

    try:
        con = query.connect(Path(args.db))
    except ChisoError as exc:
        return _say_error("runs", str(exc))
    except duckdb.Error as exc:
        return _say_error("runs", f"không mở được {args.db} để đọc: {exc}")
    try:
        print(history.render(history.runs(con, args.limit)))
    finally:
        con.close()
    return EXIT_OK


# --- extracts ---------------------------------------------------------------------------------

def _cmd_check(args: argparse.Namespace) -> int:
    from flows.errors import ChisoError
    from flows.intake.ingest import check_files, render_check
    from flows.plan import encodings_of, load_plan

    try:
        plan = load_plan(Path(args.plan)) if args.plan else None
        encodings = plan.encodings if plan else []
        if args.encoding:
            encodings = [("*", name) for _, name in encodings_of({"encoding": args.encoding})]
        outcomes = check_files([Path(f) for f in args.files], encodings, plan)
    except LookupError:
        return _say_error("check", f"--encoding {args.encoding!r}: bảng mã không có trong Python"
                                   " (ví dụ windows-1258)")
    except ChisoError as exc:
        return _say_error("check", str(exc))
    print(render_check(outcomes))
    return EXIT_OK if all(o.status == "loaded" for o in outcomes) else 1


def _cmd_gen(args: argparse.Namespace) -> int:
    from bench.generate import generate

    manifest = generate(args.scale, Path(args.out), args.seed)
    inbox = Path(args.out) / "inbox" if "plans" in manifest else Path(args.out)
    for name, n in manifest["rows"].items():
        print(f"{inbox / name}: {n:,} dòng".replace(",", "."))
    if "plans" in manifest:
        print(f"{Path(args.out) / 'plans'}: {manifest['plans']} kế hoạch, một kế hoạch mỗi đơn"
              f" vị; chạy: chiso run --province {args.out}")
    else:
        print(f"{Path(args.out) / 'plan.yaml'}: kế hoạch cho các tệp này")
    return EXIT_OK


def _cmd_bench(args: argparse.Namespace) -> int:
    import json

    if args.cli:
        from bench.cli_speed import main as cli_bench

        return cli_bench(Path(args.work or "var/bench/cli"), args.before,
                         Path(args.json) if args.json else None)
    if args.province:
        from bench.province import main as province_bench

        try:
            return province_bench(Path(args.work or "var/bench/province-plans"), args.plans,
                                  Path(args.json) if args.json else None)
        except RuntimeError as exc:
            return _say_error("bench --province", str(exc))
    from bench.run import render, run_bench

    work = Path(args.work or f"var/bench/{args.scale}")
    try:
        result = run_bench(args.scale, work, args.seed, start_server=args.prefect_server)
    except RuntimeError as exc:
        return _say_error("bench", str(exc))
    out = Path(args.json) if args.json else work / "bench.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(render(result))
    print(f"\n{out}")
    return EXIT_OK


# --- the parser -------------------------------------------------------------------------------

DB_HELP = "tệp DuckDB đã công bố (mặc định: CHISO_DB, hoặc var/chiso.duckdb)"
PLAN_HELP = "tệp kế hoạch YAML (mặc định: CHISO_PLAN, hoặc kế hoạch mẫu data/plan.yaml)"


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=os.environ.get("CHISO_DB", str(DEFAULT_DB)), help=DB_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chiso",
        description="Theo dõi mục tiêu Chỉ số CCHC (PAR INDEX), SIPAS và PAPI của một kế hoạch:"
        " nhận các tệp trích xuất, tính bảng chênh lệch từng tiêu chí, kiểm tra, báo cho người"
        " phụ trách.",
        epilog="Xem thêm: chiso <lệnh> --help. Tài liệu: README.md.",
    )
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="in cả nhật ký kỹ thuật (tiếng Anh) ra màn hình")
    sub = parser.add_subparsers(dest="command", required=True, title="lệnh", metavar="LỆNH")

    run = sub.add_parser("run", help="chạy một lượt: nạp tệp, tính bảng, kiểm tra, công bố,"
                         " gửi thư", description="Chạy một lượt theo kế hoạch. Khi `chiso"
                         " server start` đang chạy, lượt chạy diễn ra trong tiến trình sẵn sàng"
                         " của máy chủ (vài giây); nếu không, Prefect tạm thời được khởi động.")
    run.add_argument("--inbox", default=os.environ.get("CHISO_INBOX", str(DEFAULT_INBOX)),
                     help="thư mục chứa các tệp trích xuất (mặc định: CHISO_INBOX, hoặc dữ"
                     " liệu mẫu data/sample)")
    run.add_argument("--plan", default=os.environ.get("CHISO_PLAN", str(DEFAULT_PLAN)),
                     help=PLAN_HELP)
    _db(run)
    run.add_argument("--province", metavar="THƯ_MỤC",
                     help="chạy mọi kế hoạch của một tỉnh: thư mục có province.yaml, plans/ và"
                     " inbox/ (bỏ qua --plan, --inbox, --db); mã thoát 0 khi mọi kế hoạch được"
                     " công bố, 3 khi một phần, 2 khi không kế hoạch nào, 75 khi đang có lượt khác")
    run.add_argument("--workers", type=int, default=0, metavar="N",
                     help="với --province: chạy mỗi kế hoạch thành một lượt của deployment"
                     " nightly/plan-run trên các worker của work pool chiso-plans, tối đa N lượt"
                     " cùng lúc (cần máy chủ Prefect; mặc định: chạy lần lượt trong tiến trình"
                     " này)")
    run.add_argument("--out", metavar="THƯ_MỤC",
                     help="với --province: nơi ghi tệp của từng kế hoạch và tệp tổng hợp của tỉnh"
                     " (mặc định: THƯ_MỤC/var)")
    run.set_defaults(func=_cmd_run)

    check = sub.add_parser("check", help="các tệp này có nạp được không, nếu không thì vì sao"
                           " (trước khi bỏ vào hộp thư)")
    check.add_argument("files", nargs="+", metavar="TỆP", help="các tệp trích xuất CSV hoặc XLSX")
    check.add_argument("--plan", default=os.environ.get("CHISO_PLAN"),
                       help="tệp kế hoạch, để lấy bảng mã `encoding` và tỉnh của mã đơn vị viết"
                       " tắt (`provinces`, `unit_provinces`) (mặc định: CHISO_PLAN)")
    check.add_argument("--encoding", help="bảng mã của tệp CSV không phải UTF-8 (ví dụ"
                       " windows-1258); thay cho bảng mã trong kế hoạch")
    check.set_defaults(func=_cmd_check)

    sql = sub.add_parser("sql", help="truy vấn kết quả đã công bố (chỉ đọc)",
                         description="Truy vấn tệp kết quả và nhật ký thư (alert_log), chỉ đọc,"
                         " bằng DuckDB của chiso. Câu lệnh lấy từ tham số, từ đầu vào chuẩn, hoặc"
                         " gõ tại dấu nhắc.")
    sql.add_argument("query", nargs="?", metavar="TRUY_VẤN",
                     help="câu lệnh SQL; bỏ trống để đọc từ đầu vào chuẩn hoặc mở dấu nhắc")
    _db(sql)
    form = sql.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="in kết quả dạng CSV (có dòng tiêu đề)")
    form.add_argument("--json", action="store_true", help="in kết quả dạng JSON, mỗi dòng một bản"
                      " ghi")
    sql.set_defaults(func=_cmd_sql)

    runs = sub.add_parser("runs", help="lịch sử các lượt chạy (mã lượt cho `chiso rebuild`)")
    _db(runs)
    runs.add_argument("--limit", type=int, default=20,
                      help="số lượt gần nhất được liệt kê (mặc định 20)")
    runs.set_defaults(func=_cmd_runs)

    report = sub.add_parser("report", help="báo cáo cho Văn phòng (HTML) và bảng chênh lệch"
                            " (XLSX)")
    _db(report)
    report.add_argument("--out", help="thư mục ghi tệp (mặc định: report/ cạnh tệp DuckDB)")
    report.add_argument("--open", action="store_true",
                        help="mở báo cáo bằng trình duyệt khi có màn hình")
    report.add_argument("--province", metavar="THƯ_MỤC_HOẶC_TỆP",
                        help="bảng tổng hợp mọi kế hoạch của tỉnh cho cơ quan theo dõi (HTML,"
                        " XLSX): thư mục tỉnh (đọc var/province.duckdb) hoặc tệp tổng hợp; kèm"
                        " báo cáo riêng của từng kế hoạch")
    report.set_defaults(func=_cmd_report)

    appendices = sub.add_parser("appendices", help="Phụ lục 1-4 của kế hoạch (DOCX và XLSX)")
    _db(appendices)
    appendices.add_argument("--plan", default=os.environ.get("CHISO_PLAN", str(DEFAULT_PLAN)),
                            help=PLAN_HELP + ", để lấy tên cơ quan ở phần đầu văn bản")
    appendices.add_argument("--out", help="thư mục ghi tệp (mặc định: report/ cạnh tệp DuckDB)")
    appendices.add_argument("--open", action="store_true",
                            help="mở tệp DOCX bằng chương trình mặc định khi có màn hình")
    appendices.set_defaults(func=_cmd_appendices)

    alerts_cmd = sub.add_parser("alerts", help="gửi thư đến hạn từ kết quả đã công bố"
                                " (--preview: chỉ xem)")
    alerts_cmd.add_argument("--preview", action="store_true",
                            help="hiện các thư sẽ gửi, không gửi, không thay đổi gì")
    alerts_cmd.add_argument("--plan", default=os.environ.get("CHISO_PLAN", str(DEFAULT_PLAN)),
                            help=PLAN_HELP)
    _db(alerts_cmd)
    alerts_cmd.set_defaults(func=_cmd_alerts)

    rebuild = sub.add_parser("rebuild", help="dựng lại một lượt đã chạy từ kho lưu trữ vào thư"
                             " mục mới (không gửi thư)")
    rebuild.add_argument("run_id", metavar="MÃ_LƯỢT", help="mã lượt chạy, như `chiso runs`"
                         " liệt kê, ví dụ 20261128T010000-a1b2c3")
    _db(rebuild)
    rebuild.add_argument("--out", required=True,
                         help="thư mục trống: nhận hộp thư, kế hoạch và chiso.duckdb của lượt đó")
    rebuild.set_defaults(func=_cmd_rebuild)

    server = sub.add_parser("server", help="máy chủ Prefect và tiến trình sẵn sàng để `chiso"
                            " run` chạy nhanh (start, stop, status)")
    server.add_argument("action", choices=("start", "stop", "status"),
                        help="start: khởi động; stop: dừng; status: tình trạng")
    server.add_argument("--port", type=int, default=4200,
                        help="cổng của Prefect trên 127.0.0.1 (mặc định 4200, hoặc một cổng trống)")
    server.set_defaults(func=_cmd_server)

    serve = sub.add_parser("serve", help="chạy hằng đêm theo lịch cron (triển khai Prefect)")
    serve.add_argument("--plan", default=os.environ.get("CHISO_PLAN"),
                       help="tệp kế hoạch YAML (bắt buộc)")
    serve.add_argument("--inbox", default=os.environ.get("CHISO_INBOX"),
                       help="thư mục nhận tệp trích xuất (bắt buộc)")
    _db(serve)
    serve.add_argument("--cron", default=os.environ.get("CHISO_CRON", "0 1 * * *"),
                       help='biểu thức cron (mặc định "0 1 * * *": 01:00 mỗi ngày)')
    serve.add_argument("--timezone", default=os.environ.get("CHISO_TIMEZONE", "Asia/Ho_Chi_Minh"),
                       help="múi giờ IANA của biểu thức cron (mặc định Asia/Ho_Chi_Minh)")
    serve.set_defaults(func=_cmd_serve)

    gen = sub.add_parser("gen", help="tạo tệp trích xuất tổng hợp và kế hoạch (để đo hiệu năng)")
    gen.add_argument("--scale", choices=("small", "province", "national", "province-plans"),
                     default="small",
                     help="quy mô: small, province (một tỉnh), national (cả nước),"
                     " province-plans (một tỉnh: 15 sở, ngành và 100 xã, mỗi đơn vị một kế"
                     " hoạch, thành thư mục tỉnh cho chiso run --province)")
    gen.add_argument("--out", required=True, help="thư mục ghi các tệp và plan.yaml")
    gen.add_argument("--seed", type=int, default=2024, help="cùng hạt giống, cùng nội dung tệp")
    gen.set_defaults(func=_cmd_gen)

    bench = sub.add_parser("bench", help="đo lượt chạy so với mức sàn (README, Performance)")
    bench.add_argument("--scale", choices=("small", "province", "national"), default="national",
                       help="quy mô dữ liệu tổng hợp (mặc định national)")
    bench.add_argument("--work", help="thư mục cho tệp, cơ sở dữ liệu, nhật ký (var/bench/SCALE)")
    bench.add_argument("--json", help="ghi kết quả ra tệp này nữa (mặc định: WORK/bench.json)")
    bench.add_argument("--seed", type=int, default=2024, help="hạt giống của dữ liệu tổng hợp")
    bench.add_argument("--prefect-server", action="store_true",
                       help="khởi động một máy chủ Prefect cho các lượt đo (mặc định:"
                       " PREFECT_API_URL nếu có, nếu không thì Prefect tạm thời)")
    bench.add_argument("--province", action="store_true",
                       help="đo một lượt chạy của tỉnh (chiso gen --scale province-plans): trong"
                       " tiến trình, với 1 và 2 worker của Prefect, so với mức sàn")
    bench.add_argument("--plans", type=int, metavar="N",
                       help="với --province: chỉ N kế hoạch đầu (mặc định: cả 115)")
    bench.add_argument("--cli", action="store_true",
                       help="đo thời gian trả lời của các lệnh (--help, check, run có và không có"
                       " máy chủ), trung vị của 5 lần")
    bench.add_argument("--before", metavar="REV",
                       help="với --cli: đo cả phiên bản chiso REV (git) trong cùng lượt đo")
    bench.set_defaults(func=_cmd_bench)
    return parser


def _log_folder(args: argparse.Namespace) -> Path:
    db = getattr(args, "db", None)
    if args.command == "serve" and db:  # a service: its log lives beside what it publishes
        return log_dir(Path(db))
    # beside the database, when its folder is there (a missing one is refused, not created)
    if args.command in ("run", "alerts", "rebuild") and db and Path(db).parent.is_dir():
        return log_dir(Path(db))
    return var_dir() / "logs"


def main(argv: list[str] | None = None, warm: bool = False) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["__warm__"] and len(argv) == 2:  # `chiso server start` starts this
        from flows.serving import server

        return server.warm_main(argv[1], main)
    args = build_parser().parse_args(argv)
    args.argv, args.warm = argv, warm
    console.restart()
    from flows import logs

    # a query's answer is its printout: it leaves no log file behind
    folder = None if args.command in ("sql", "runs", "check", "server") else _log_folder(args)
    args.log_path = logs.configure(folder, verbose=args.verbose)
    log.info("chiso %s", " ".join(argv))
    if warm:
        log.info("running in pid %d, forked from the warm process %d", os.getpid(),
                 os.getppid())
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
