"""A quiet console in the language of its readers: real `chiso` processes, what they print and
how fast they refuse. Logs go to a file; a person reads Vietnamese lines only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.cli import build_parser
from tests.conftest import PLAN, ROOT, SAMPLE

pytestmark = pytest.mark.real_process  # starts chiso or Prefect processes (make test-fast skips)

VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]",
                        re.I)


def _chiso(*args: str, env: dict | None = None, timeout: float = 300, **kw):
    full = {**os.environ, **(env or {})}
    full = {k: v for k, v in full.items() if v is not None}  # None: unset
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=kw.get("cwd", ROOT),
                          env=full, capture_output=True, text=True, timeout=timeout)


def _no_server(tmp_path: Path) -> dict:
    """No warm server, no Prefect API: the command runs on its own."""
    return {"CHISO_VAR": str(tmp_path / "var"), "PREFECT_API_URL": None}


@pytest.mark.parametrize("case", ["inbox", "plan", "db-folder"])
def test_a_missing_path_is_refused_in_vietnamese_before_prefect_starts(tmp_path, case):
    db = tmp_path / "chiso.duckdb"
    args = {"inbox": ["--inbox", str(tmp_path / "khong-co")],
            "plan": ["--plan", str(tmp_path / "khong-co.yaml")],
            "db-folder": []}[case]
    if case == "db-folder":
        db = tmp_path / "khong-co" / "chiso.duckdb"
    started = time.monotonic()
    done = _chiso("run", *args, "--db", str(db), env=_no_server(tmp_path))
    elapsed = time.monotonic() - started
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2 and "Traceback" not in done.stderr
    assert VIETNAMESE.search(done.stderr) and done.stdout == ""
    assert elapsed < 2.0, elapsed  # found before Prefect (1,3 s to import) is even imported
    assert not db.exists()
    if case == "db-folder":
        assert not db.parent.exists()  # a mistyped folder is refused, not created


def test_a_misspelt_plan_key_names_the_key_and_the_nearest_valid_one(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.read_text(encoding="utf-8").replace("increase: 10", "increse: 10"),
                    encoding="utf-8")
    done = _chiso("run", "--plan", str(plan), "--db", str(tmp_path / "chiso.duckdb"),
                  env=_no_server(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "rules.sipas_raise_low.increse" in done.stderr
    assert "Có phải ý là `increase`?" in done.stderr
    assert "các khoá được phép ở đây: enabled, increase, low, mode, small_sample_n" in done.stderr
    assert "Additional properties" not in done.stderr


def test_the_lock_message_says_which_run_holds_it_and_what_to_do(tmp_path):
    from flows.warehouse.lock import RunLock

    db = tmp_path / "chiso.duckdb"
    with RunLock(db, command="chiso run"):
        done = _chiso("run", "--db", str(db), env=_no_server(tmp_path))
    assert done.returncode == 75
    assert f"tiến trình {os.getpid()}" in done.stderr and "bắt đầu lúc" in done.stderr
    assert "Chờ lượt đó xong rồi chạy lại" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 2


def test_a_run_prints_the_summary_and_progress_and_logs_the_rest_to_a_file(
    prefect_server, tmp_path
):
    from prefect.settings import PREFECT_API_URL

    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    (inbox / "zz_bad.csv").write_text("Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa\n"
                                      "STTTT,2024,1.1,Kế hoạch,không\n", encoding="utf-8")
    db = tmp_path / "var" / "chiso.duckdb"
    done = _chiso("run", "--inbox", str(inbox), "--db", str(db),
                  env={"PREFECT_API_URL": PREFECT_API_URL.value(), "CHISO_PROGRESS": "1",
                       "CHISO_VAR": str(tmp_path / "var")})
    assert done.returncode == 0, done.stderr
    # progress: a line per step and per extract, in Vietnamese; nothing else on the console
    progress = done.stderr.strip().splitlines()
    assert all(re.match(r"\[ *\d+,\d giây\] ", line) for line in progress), progress
    assert any("Nạp par_index_stttt.csv" in line for line in progress)
    assert any("✗ zz_bad.csv: không nạp" in line for line in progress)
    assert any("Tính các bảng" in line for line in progress)
    assert "INFO" not in done.stdout + done.stderr
    assert "Skipping registering" not in done.stdout + done.stderr
    # the checks' line counts the input rules of every file, the rejected one included
    assert "Kiểm tra dữ liệu: tệp đầu vào 9/10 được nạp" in done.stdout
    assert "✗ zz_bad.csv: Mọi ô số đọc được thành số" in done.stdout
    log = next(db.parent.joinpath("logs").glob("chiso-*.log"))
    assert f"Nhật ký chi tiết (tiếng Anh): {log}" in done.stdout
    text = log.read_text(encoding="utf-8")
    assert "Finished in state Completed" in text and "rejected zz_bad.csv" in text
    assert "Skipping registering function" not in text  # GX quieted before its import


def test_a_run_off_a_terminal_prints_the_summary_alone(prefect_server, tmp_path):
    from prefect.settings import PREFECT_API_URL

    db = tmp_path / "chiso.duckdb"
    done = _chiso("run", "--db", str(db), env={"PREFECT_API_URL": PREFECT_API_URL.value(),
                                                 "CHISO_VAR": str(tmp_path / "var")})
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("chiso — kết quả lượt chạy ")


def test_every_command_and_option_is_explained_in_vietnamese():
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert set(sub.choices) >= {"run", "check", "sql", "runs", "report", "appendices", "alerts",
                                "rebuild", "server", "serve", "gen", "bench"}
    for name, command in sub.choices.items():
        help_text = command.format_help()
        assert help_text.startswith("Cách dùng: chiso " + name), name
        for action in command._actions:
            assert action.help and VIETNAMESE.search(action.help), (name, action.dest)
    top = parser.format_help()
    assert "tuỳ chọn:" in top and "show this help" not in top


def test_help_answers_at_once_and_check_imports_neither_prefect_nor_gx(tmp_path):
    started = time.monotonic()
    done = _chiso("--help")
    assert done.returncode == 0 and "Cách dùng: chiso" in done.stdout
    assert time.monotonic() - started < 2.0
    script = (
        "import sys\n"
        "from flows.cli import main\n"
        f"code = main(['check', {str(SAMPLE / 'par_index_stttt.csv')!r}])\n"
        "assert code == 0, code\n"
        "print(sorted(m for m in ('prefect', 'great_expectations', 'pandas')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "CHISO_VAR": str(tmp_path / "var")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "ĐƯỢC NẠP" in done.stdout and done.stderr == ""
