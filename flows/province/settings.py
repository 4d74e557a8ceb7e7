"""The province folder and the settings its plans share.

    <folder>/province.yaml        what every plan of the province shares (below)
    <folder>/plans/<plan>.yaml    one plan per department or commune
    <folder>/inbox/               province-wide extracts, routed by the units they cover
    <folder>/inbox/<plan_id>/     extracts for one plan (kinds that name no assessed unit)

province.yaml keys: `province` (the province's name on the current map), `monitoring_office`
({name, email}: the province digest's reader, Sở Nội vụ), `digest_every_days` (the digest
goes after any change and at least this often; default 7), and defaults a plan takes unless it
says otherwise: `encoding`, `interim_extracts`, `key_dates`, `unit_provinces`. SMTP is never in
a file: the environment or a Prefect block (flows/notify/mailer.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flows import yamlfile
from flows.errors import PlanError

SETTINGS_FILE = "province.yaml"
PLANS_DIR = "plans"
INBOX_DIR = "inbox"
SHARED_KEYS = ("encoding", "interim_extracts", "key_dates", "unit_provinces")
KNOWN_KEYS = ("province", "monitoring_office", "digest_every_days", *SHARED_KEYS)


@dataclass(frozen=True)
class Province:
    folder: Path
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return self.raw["province"]

    @property
    def office(self) -> dict[str, str]:
        return self.raw.get("monitoring_office") or {}

    @property
    def plan_files(self) -> list[Path]:
        folder = self.folder / PLANS_DIR
        return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])

    @property
    def inbox(self) -> Path:
        return self.folder / INBOX_DIR


def settings_for(plan_path: Path) -> Path | None:
    """The province.yaml a plan file sits under (in a province folder's plans/), if any."""
    candidate = plan_path.resolve().parent.parent / SETTINGS_FILE
    if plan_path.resolve().parent.name == PLANS_DIR and candidate.is_file():
        return candidate
    return None


def read(path: Path) -> dict[str, Any]:
    """province.yaml, checked: a PlanError names the file and the key (Vietnamese)."""
    where = f"tệp thiết lập tỉnh {path}"
    try:
        raw = yamlfile.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{where}: không tìm thấy tệp") from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PlanError(f"{where}: không đọc được như YAML UTF-8 ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("province"), str):
        raise PlanError(f"{where}: cần khoá province (tên tỉnh theo bản đồ hiện hành)")
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    if unknown:
        raise PlanError(f"{where}: khoá không dùng được: {', '.join(unknown)} (dùng được:"
                        f" {', '.join(KNOWN_KEYS)}; SMTP đặt trong biến môi trường)")
    office = raw.get("monitoring_office")
    if office is not None and not (isinstance(office, dict) and office.get("name")
                                   and office.get("email")):
        raise PlanError(f"{where}: monitoring_office: cần name và email của cơ quan theo dõi"
                        " (Sở Nội vụ)")
    every = raw.get("digest_every_days", 7)
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise PlanError(f"{where}: digest_every_days: cần một số ngày nguyên từ 1 trở lên"
                        f" (có: {every!r})")
    return raw


def plan_defaults(plan_path: Path) -> dict[str, Any]:
    """What a plan in a province folder takes from province.yaml unless it says otherwise:
    its province, and the shared settings."""
    path = settings_for(plan_path)
    if path is None:
        return {}
    raw = read(path)
    defaults = {key: raw[key] for key in SHARED_KEYS if key in raw}
    defaults["provinces"] = [raw["province"]]
    return defaults


def load(folder: Path) -> Province:
    path = folder / SETTINGS_FILE
    if not folder.is_dir():
        raise PlanError(f"thư mục tỉnh {folder}: không có thư mục này")
    raw = read(path)
    if not (folder / PLANS_DIR).is_dir():
        raise PlanError(f"thư mục tỉnh {folder}: cần thư mục {PLANS_DIR}/ chứa các kế hoạch")
    return Province(folder, raw)
