"""Telling people: one email per owner listing its missed and at-risk criteria and what
changed since its last email, and a digest for the Office.

No spam: an owner gets a message only for a new miss, a changed value or a recovery, and a
reminder of unchanged misses after `reminder_days`; the Office digest goes out after a run in
which anything changed, and every `digest_every_days` regardless. Owner emails go out only once
the plan switches them on (`alerts.owner_emails: true`).

Exactly once: every message is written to the alert state (SQLite, beside the database) as
`pending` before it is sent, marked `sending` just before the SMTP handover and `sent` after.
A message is identified by its content, so a re-run or a run after a crash finds it and does
not send it twice; one left `sending` by a killed run, or whose connection dropped during the
handover, becomes `unknown` and is shown to the Office instead of being resent blindly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

import duckdb

from flows import vietnamese as vi
from flows.documents import published
from flows.documents.summary import STATUS_VI, TREE_HEADING, deadline_text, tree_mismatch_text
from flows.instrument import faults
from flows.notify import mailer
from flows.plan import Plan
from flows.warehouse import fingerprint
from flows.warehouse.db import insert_many
from flows.warehouse.run_records import TZ

log = logging.getLogger(__name__)
OFF_TRACK = ("missed", "at_risk")
DEADLINE_SOON_DAYS = 7  # the digest goes out when a key date comes this close
CHANGE_VI = {
    "new": "Mới",
    "changed": "Thay đổi",
    "unchanged": "Không đổi",
    "recovered": "Đã đạt lại",
}
APPENDIX_VI = {1: "PL1", 2: "PL2", 3: "PL3", 4: "PL4", None: "–"}
SEND_ATTEMPTS = 3
RETRY_SECONDS = (1.0, 3.0)

_SCHEMA = """
create table if not exists alert_log (
    message_id text primary key, run_id text, created_at text, kind text, owner_unit text,
    recipient text, subject text, body_text text, body_html text, items_json text,
    state text, attempts integer default 0, last_error text, delivered_at text, path text,
    delivered_run text, superseded_by text
);
create table if not exists notified (
    owner_unit text, item_key text, status text, current_value text, target_value text,
    current_stage text, notified_at text, evidence_missing integer not null default 0,
    primary key (owner_unit, item_key)
);
create table if not exists evaluated (
    id integer primary key check (id = 1), fingerprint text, evaluated_at text
);
create table if not exists digest_state (
    id integer primary key check (id = 1), fingerprint text, delivered_at text
);
"""


def state_path(db: Path) -> Path:
    """The alert state lives beside the published database: var/chiso.alerts.sqlite."""
    return db.with_name(db.stem + ".alerts.sqlite")


def outbox_path(db: Path) -> Path:
    return db.with_name("outbox")


class AlertStore:
    """The alert log and what each owner was last told (SQLite, WAL: readers never block)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("pragma journal_mode = wal")
        self.db.executescript(_SCHEMA)
        columns = {r[1] for r in self.db.execute("pragma table_info(notified)")}
        if "evidence_missing" not in columns:  # a state file from before evidence was tracked
            self.db.execute(
                "alter table notified add column evidence_missing integer not null default 0"
            )
        logged = {r[1] for r in self.db.execute("pragma table_info(alert_log)")}
        for column in ("delivered_run", "superseded_by"):  # a state file from before these
            if column not in logged:
                self.db.execute(f"alter table alert_log add column {column} text")

    def close(self) -> None:
        self.db.close()

    def mark_interrupted(self) -> int:
        """Messages left `sending` by a killed run: their outcome is unknown."""
        cur = self.db.execute(
            "update alert_log set state = 'unknown', last_error = coalesce(last_error, "
            "'the run stopped during the SMTP handover') where state = 'sending'"
        )
        return cur.rowcount

    def known(self, message_id: str) -> str | None:
        row = self.db.execute(
            "select state from alert_log where message_id = ?", [message_id]
        ).fetchone()
        return row[0] if row else None

    def notified(self, owner: str) -> dict[str, dict]:
        rows = self.db.execute(
            "select item_key, status, current_value, target_value, current_stage, notified_at,"
            " evidence_missing from notified where owner_unit = ?",
            [owner],
        ).fetchall()
        return {
            r[0]: dict(
                status=r[1],
                current_value=r[2],
                target_value=r[3],
                current_stage=r[4],
                notified_at=r[5],
                evidence_missing=bool(r[6]),
            )
            for r in rows
        }

    def told_keys(self) -> list[str]:
        """Every criterion some owner was last told is off track."""
        return [r[0] for r in self.db.execute("select distinct item_key from notified")]

    def last_delivery(self, kind: str, owner: str | None) -> dt.datetime | None:
        row = self.db.execute(
            "select max(delivered_at) from alert_log where kind = ? and owner_unit is ?"
            " and state in ('sent', 'written')",
            [kind, owner],
        ).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def last_delivered_id(self, kind: str, owner: str | None) -> str | None:
        row = self.db.execute(
            "select message_id from alert_log where kind = ? and owner_unit is ?"
            " and state in ('sent', 'written') order by delivered_at desc, rowid desc limit 1",
            [kind, owner],
        ).fetchone()
        return row[0] if row else None

    def evaluated_fingerprint(self) -> str | None:
        row = self.db.execute("select fingerprint from evaluated where id = 1").fetchone()
        return row[0] if row else None

    def set_evaluated(self, fingerprint: str, now: dt.datetime) -> None:
        self.db.execute(
            "insert or replace into evaluated values (1, ?, ?)", [fingerprint, now.isoformat()]
        )

    def told_owners(self) -> list[str]:
        return [r[0] for r in self.db.execute("select distinct owner_unit from notified")]

    def digest_fingerprint(self) -> str | None:
        row = self.db.execute("select fingerprint from digest_state where id = 1").fetchone()
        return row[0] if row else None

    def add(self, msg: Outgoing, run_id: str, now: dt.datetime) -> list[str]:
        """Record a new message as pending. A message of the same kind to the same recipient
        still pending from an earlier run is superseded by it (its news are in this one): it
        will never be sent. Returns the superseded messages' ids."""
        self.db.execute("begin immediate")
        try:
            older = [r[0] for r in self.db.execute(
                "select message_id from alert_log where state = 'pending' and kind = ?"
                " and recipient = ? and owner_unit is ? and message_id <> ?",
                [msg.kind, msg.recipient, msg.owner_unit, msg.message_id],
            )]
            self.db.executemany(
                "update alert_log set state = 'superseded', superseded_by = ? where message_id = ?",
                [[msg.message_id, old] for old in older],
            )
            self.db.execute(
                "insert into alert_log (message_id, run_id, created_at, kind, owner_unit,"
                " recipient, subject, body_text, body_html, items_json, state) values"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                [
                    msg.message_id,
                    run_id,
                    now.isoformat(),
                    msg.kind,
                    msg.owner_unit,
                    msg.recipient,
                    msg.subject,
                    msg.text,
                    msg.html,
                    json.dumps(msg.state_rows, ensure_ascii=False),
                ],
            )
            self.db.execute("commit")
        except BaseException:
            self.db.execute("rollback")
            raise
        return older

    def pending(self, kind: str) -> list[dict]:
        cur = self.db.execute(
            "select * from alert_log where state = 'pending' and kind = ?"
            " order by created_at, message_id",
            [kind],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def counts(self, run_id: str) -> dict[str, list[str]]:
        """What the log says now: this run's messages created, sent, written and superseded,
        and every message pending or unknown whatever run made it."""
        rows = self.db.execute(
            """select 'created', message_id from alert_log where run_id = ?
               union all select state, message_id from alert_log
                   where delivered_run = ? and state in ('sent', 'written')
               union all select 'superseded', message_id from alert_log
                   where state = 'superseded' and superseded_by in
                       (select message_id from alert_log where run_id = ?)
               union all select state, message_id from alert_log
                   where state in ('pending', 'unknown')
               order by 1, 2""",
            [run_id, run_id, run_id],
        ).fetchall()
        out: dict[str, list[str]] = {}
        for what, message_id in rows:
            out.setdefault(what, []).append(message_id)
        return out

    def by_state(self, *states: str) -> list[dict]:
        marks = ", ".join("?" * len(states))
        cur = self.db.execute(
            f"select * from alert_log where state in ({marks}) order by created_at", states
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def set_state(
        self,
        message_id: str,
        state: str,
        error: str | None = None,
        attempt: bool = False,
        path: str | None = None,
    ) -> None:
        self.db.execute(
            "update alert_log set state = ?, last_error = coalesce(?, last_error),"
            " attempts = attempts + ?, path = coalesce(?, path) where message_id = ?",
            [state, error, 1 if attempt else 0, path, message_id],
        )

    def delivered(
        self, row: dict, state: str, now: dt.datetime, run_id: str, path: str | None = None
    ) -> None:
        """Mark a message delivered and remember what its recipient now knows, atomically."""
        self.db.execute("begin immediate")
        try:
            self.db.execute(
                "update alert_log set state = ?, delivered_at = ?, delivered_run = ?,"
                " path = coalesce(?, path) where message_id = ?",
                [state, now.isoformat(), run_id, path, row["message_id"]],
            )
            state_rows = json.loads(row["items_json"] or "[]")
            if row["kind"] == "owner":
                self.db.execute("delete from notified where owner_unit = ?", [row["owner_unit"]])
                self.db.executemany(
                    "insert into notified (owner_unit, item_key, status, current_value,"
                    " target_value, current_stage, notified_at, evidence_missing)"
                    " values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        [
                            row["owner_unit"],
                            r["key"],
                            r["status"],
                            r["current_value"],
                            r["target_value"],
                            r["current_stage"],
                            now.isoformat(),
                            int(bool(r.get("evidence_missing"))),
                        ]
                        for r in state_rows
                    ],
                )
            else:
                fingerprint = state_rows[0]["fingerprint"] if state_rows else None
                self.db.execute(
                    "insert or replace into digest_state values (1, ?, ?)",
                    [fingerprint, now.isoformat()],
                )
            self.db.execute("commit")
        except BaseException:
            self.db.execute("rollback")
            raise


@dataclass
class Outgoing:
    """A message to send (or to preview)."""

    message_id: str
    kind: str  # owner | digest
    owner_unit: str | None
    recipient: str
    subject: str
    text: str
    html: str
    state_rows: list[dict] = field(default_factory=list)


@dataclass
class AlertReport:
    """What alerting did in one run, as the alert log says once it is done: this run's
    messages (created, sent, written to the outbox, superseded) and every message still
    pending or of unknown delivery, whichever run made it."""

    mode: str  # smtp | outbox | preview
    created: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    outbox: str | None = None
    messages: list[Outgoing] = field(default_factory=list)
    owner_emails_on: bool = False
    # the alert log as analysts read it (published_log_path), rewritten when it changed
    log_path: str | None = None
    # the SMTP server could not be reached: the messages not yet tried wait for the next run
    unreachable: bool = False


# --- reading the published results ----------------------------------------------------------


_KEY_SQL = (
    "index_name || '|' || coalesce(appendix::varchar, '') || '|' || unit_code || '|'"
    " || criterion_code"
)


# Every row's state in one number, computed in DuckDB: changes when anything changes. The sum
# of each row's 64-bit hash (rows are unique by key, so none cancel out) takes 0.01-0.03 s on
# the national criterion_gaps, where hashing the rows joined in key order took 0.5-0.7 s. A
# DuckDB upgrade that changes hash() makes it change once (one digest more).
_GAPS_FINGERPRINT_SQL = (
    "select coalesce(sum(hash(index_name, appendix, unit_code, criterion_code, status,"
    " current_value, target_value, current_stage, evidence_missing)::hugeint), 0)::varchar"
    " from criterion_gaps"
)


def _inputs_fingerprint(db: Path, plan: Plan) -> str:
    """A hash of everything alerting decides from, read in DuckDB: the criteria's states, the
    ranks, participation, rejected files, which key dates are near, and the plan. When it is
    the one the last evaluation saw, and no message or reminder is due, there is nothing to
    do and national-scale criterion_gaps is not read."""
    with duckdb.connect(str(db), read_only=True) as con:
        # what criterion_gaps was built from (its SQL and inputs, flows/warehouse/models.py) stands
        # for its content; hashing 10^6 rows is the fallback
        built_from = fingerprint.stored_fingerprint(con, "criterion_gaps")
        parts = [
            built_from or con.execute(_GAPS_FINGERPRINT_SQL).fetchall()[0][0],
            con.execute("select * from rank_targets order by all").fetchall(),
            con.execute("select * from participation_targets order by all").fetchall(),
            con.execute("select file, sha256, reported_before from extracts"
                        " where status = 'rejected' order by all").fetchall(),
            con.execute("select pos, label, phase, days_left <= ? from deadline_watch"
                        " order by pos", [DEADLINE_SOON_DAYS]).fetchall(),
        ]
    return _fingerprint([parts, plan.raw])


def _reminder_or_digest_due(plan: Plan, store: AlertStore, now: dt.datetime) -> bool:
    settings = plan.raw.get("alerts", {})
    reminder = dt.timedelta(days=settings.get("reminder_days", 7))
    every = dt.timedelta(days=settings.get("digest_every_days", 7))
    last_digest = store.last_delivery("digest", None)
    if last_digest is None or now - last_digest >= every:
        return True
    for owner in store.told_owners():
        last = store.last_delivery("owner", owner)
        if last is None or now - last >= reminder:
            return True
    return False


@dataclass
class Published:
    """What alerting needs from the published database, aggregated there: national-scale
    criterion_gaps (~10^6 rows) never comes into Python whole."""

    rows: list[dict]  # off-track rows, and rows of criteria an owner was told about
    totals: dict[str, int]  # status -> count
    by_owner: dict[str, dict[str, int]]  # owner -> status -> count
    worst: list[dict]  # the off-track rows furthest from target, relative to max
    fingerprint: str  # of every row's state: changes when anything changes
    rejected: list[dict]
    ranks: list[dict]
    lagging: list[dict]  # participation_targets rows below target, target year
    deadlines: list[dict]  # deadline_watch rows
    n_evidence_missing: int
    tree_mismatches: list[dict]  # PAR criteria whose score differs from their children's sum


def _read_published(
    db: Path, told_keys: list[str], target_year: int, owner_rows: bool = True
) -> Published:
    """What alerting needs; the criteria owners are told about only when owner emails are on
    (the digest needs aggregates and the worst rows alone)."""
    with duckdb.connect(str(db), read_only=True) as con:

        def rows(sql: str, params: list | None = None) -> list[dict]:
            return published.rows(con, sql, params)

        relevant = rows(
            f"select * from criterion_gaps where status in ('missed', 'at_risk')"
            f" or evidence_missing or ({_KEY_SQL}) in (select unnest(?::varchar[]))",
            [told_keys],
        ) if owner_rows else []
        counts = con.execute(
            "select coalesce(owner_unit, ''), status, count(*) from criterion_gaps group by all"
        ).fetchall()
        worst = rows(
            "select * from criterion_gaps where status in ('missed', 'at_risk')"
            " order by gap / nullif(max_value, 0), index_name, criterion_code limit 15"
        )
        fingerprint = con.execute(_GAPS_FINGERPRINT_SQL).fetchall()[0][0]
        rejected = rows(
            "select file, sheet, sha256, message, coalesce(reported_before, false)"
            " as reported_before from extracts where status = 'rejected'"
        )
        progress = published.progress(con, target_year)
    totals: dict[str, int] = {}
    by_owner: dict[str, dict[str, int]] = {}
    for owner, status, n in counts:
        totals[status] = totals.get(status, 0) + n
        by_owner.setdefault(owner, {})[status] = n
    return Published(relevant, totals, by_owner, worst, fingerprint, rejected, progress.ranks,
                     progress.lagging, progress.deadlines, progress.n_evidence_missing,
                     progress.tree_mismatches)


def _key(r: dict) -> str:
    return f"{r['index_name']}|{r['appendix'] or ''}|{r['unit_code']}|{r['criterion_code']}"


def _text(v: Decimal | None) -> str | None:
    return None if v is None else str(Decimal(v).normalize())


def _state(r: dict) -> dict:
    return dict(
        key=_key(r),
        status=r["status"],
        current_value=_text(r["current_value"]),
        target_value=_text(r["target_value"]),
        current_stage=r["current_stage"],
        evidence_missing=bool(r.get("evidence_missing")),
    )


def _attention(state: dict) -> bool:
    """Does an owner need to act: off track, or a score without evidence?"""
    return state["status"] in OFF_TRACK or bool(state.get("evidence_missing"))


def _fingerprint(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


# --- deciding what to send ------------------------------------------------------------------


def _owner_items(rows: list[dict], told: dict[str, dict]) -> list[dict]:
    items = []
    current_keys = set()
    compared = ("status", "current_value", "target_value", "current_stage", "evidence_missing")
    for r in rows:
        if not _attention(r):
            continue
        k = _key(r)
        current_keys.add(k)
        before = told.get(k)
        if before is None or not _attention(before):
            change = "new"
        elif tuple(before.get(c) for c in compared) != tuple(_state(r)[c] for c in compared):
            change = "changed"
        else:
            change = "unchanged"
        items.append({**r, "change": change, "before": before})
    by_key = {_key(r): r for r in rows}
    for k, before in told.items():
        if k not in current_keys and _attention(before):
            now = by_key.get(k)
            if now is not None:
                items.append({**now, "change": "recovered", "before": before})
    order = {"new": 0, "changed": 1, "recovered": 2, "unchanged": 3}
    return sorted(items, key=lambda i: (order[i["change"]], i["index_name"], i["criterion_code"]))


def plan_owner_messages(
    plan: Plan, gaps: Published, store: AlertStore, now: dt.datetime
) -> list[Outgoing]:
    """One message per owner with something new, changed or recovered, or a reminder due."""
    settings = plan.raw.get("alerts", {})
    reminder = dt.timedelta(days=settings.get("reminder_days", 7))
    units = plan.raw["owner_units"]
    out = []
    for owner in sorted(units, key=lambda o: vi.sort_key(units[o]["name"])):
        rows = [r for r in gaps.rows if r["owner_unit"] == owner]
        items = _owner_items(rows, store.notified(owner))
        if not items:
            continue
        fresh = [i for i in items if i["change"] != "unchanged"]
        last = store.last_delivery("owner", owner)
        reminder_due = not fresh and (last is None or now - last >= reminder)
        if not fresh and not reminder_due:
            continue
        state_rows = [_state(i) for i in items if _attention(i)]
        # what the owner is told, after which message: the same news twice is one message, a
        # value that changes back (to what an earlier message said) is news again
        fp = _fingerprint([state_rows, [_key(i) for i in items if i["change"] == "recovered"],
                           store.last_delivered_id("owner", owner)])
        message_id = f"{now:%Y%m%d}-owner-{owner}-{fp[:16]}"
        subject, text, body = render_owner(
            plan, units[owner]["name"], items, now, reminder=not fresh
        )
        out.append(
            Outgoing(
                message_id, "owner", owner, units[owner]["email"], subject, text, body, state_rows
            )
        )
    return out


def plan_digest(
    plan: Plan, gaps: Published, store: AlertStore, report: AlertReport, now: dt.datetime,
    run_id: str = "preview",
) -> Outgoing | None:
    """The Office digest: after any change, and every digest_every_days regardless. It lists
    the messages whose delivery is unknown or still pending, but a pending digest, which this
    one replaces."""
    settings = plan.raw.get("alerts", {})
    every = dt.timedelta(days=settings.get("digest_every_days", 7))
    troubles = [t for t in store.by_state("unknown", "pending")
                if not (t["kind"] == "digest" and t["state"] == "pending")]
    report.created = store.counts(run_id).get("created", [])
    fp = _fingerprint(
        [
            gaps.fingerprint,
            sorted((r["file"], r["sha256"]) for r in gaps.rejected),
            sorted(t["message_id"] for t in troubles),
            sorted((r["index_name"], r["member"], r["scope"], r["current_rank"], r["status"])
                   for r in gaps.ranks),
            sorted((r["index_name"], r["unit_code"], r["forms_answered"]) for r in gaps.lagging),
            [(r["unit_code"], r["criterion_code"]) for r in gaps.tree_mismatches],
            # a deadline coming within a week, or passing, is news; each day's count is not
            [(d["label"], d["phase"], d["days_left"] <= DEADLINE_SOON_DAYS)
             for d in gaps.deadlines],
        ]
    )
    last = store.last_delivery("digest", None)
    if fp == store.digest_fingerprint() and last is not None and now - last < every:
        return None
    office = plan.raw["owner_units"][plan.office]
    subject, text, body = render_digest(plan, gaps, troubles, report, now)
    return Outgoing(
        # (after the last digest delivered: a state that comes back is news again)
        f"{now:%Y%m%d}-digest-{_fingerprint([fp, store.last_delivered_id('digest', None)])[:16]}",
        "digest",
        None,
        office["email"],
        subject,
        text,
        body,
        [{"fingerprint": fp}],
    )


# --- rendering (Vietnamese) -----------------------------------------------------------------


def _fmt(index_name: str, v) -> str:
    if v is None:
        return "–"
    return vi.percent(v) if index_name == "SIPAS" else vi.number(v)


def _gap(index_name: str, v) -> str:
    return vi.signed(v, 2 if index_name == "SIPAS" else None)


def _change_text(i: dict) -> str:
    label = CHANGE_VI[i["change"]]
    before = i.get("before")
    if i["change"] == "changed" and before:
        old = Decimal(before["current_value"]) if before["current_value"] else None
        return (
            f"{label}: {_fmt(i['index_name'], old)} → {_fmt(i['index_name'], i['current_value'])}"
        )
    if i["change"] == "recovered":
        return f"{label} ({STATUS_VI[i['status']].lower()})"
    return label


def _current_text(i: dict) -> str:
    value = _fmt(i["index_name"], i["current_value"])
    if i["current_stage"] == "self_assessed":
        value += " (tạm tính)"
    elif i["current_stage"] == "interim":
        value += " (khảo sát tạm thời)"
    if i.get("small_sample"):
        value += " (mẫu nhỏ)"
    return value


_COLUMNS = [
    "Chỉ số",
    "Mã",
    "Tên tiêu chí",
    "Phụ lục",
    "Cơ sở",
    "Mục tiêu",
    "Hiện tại",
    "Chênh lệch",
    "Trạng thái",
    "Thay đổi",
]


def _row_cells(i: dict) -> list[str]:
    return [
        i["index_name"],
        i["criterion_code"],
        i["criterion_name"] or "",
        APPENDIX_VI.get(i["appendix"], "–"),
        _fmt(i["index_name"], i["baseline_value"]),
        f"{i['target_op'] or ''} {_fmt(i['index_name'], i['target_value'])}".strip(),
        _current_text(i),
        _gap(i["index_name"], i["gap"]),
        _status_text(i),
        _change_text(i),
    ]


EVIDENCE_VI = {
    "missing": "thiếu tài liệu kiểm chứng",
    "explanation_only": "chỉ có giải trình, chưa có tài liệu",
}


def _status_text(i: dict) -> str:
    """The status, and beside it the evidence a PAR score lacks (appraisal may cut it)."""
    text = STATUS_VI[i["status"]]
    if i.get("evidence_missing"):
        return f"{text}; {EVIDENCE_VI['missing']}"
    if i.get("evidence_status") == "explanation_only" and i["status"] != "not_applicable":
        return f"{text}; {EVIDENCE_VI['explanation_only']}"
    return text


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(
        f"<th style='text-align:left;padding:4px 8px;border-bottom:1px solid #999'>"
        f"{html.escape(h)}</th>"
        for h in headers
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='padding:4px 8px;border-bottom:1px solid #eee'>{html.escape(c)}</td>"
            for c in r
        )
        + "</tr>"
        for r in rows
    )
    return (
        f"<table style='border-collapse:collapse;font-size:13px'><thead><tr>{head}</tr>"
        f"</thead><tbody>{body}</tbody></table>"
    )


def _page(title: str, parts: list[str]) -> str:
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family:\"DejaVu Sans\",Arial,sans-serif;color:#222'>"
        + "".join(parts)
        + "</body></html>"
    )


def render_owner(
    plan: Plan, owner_name: str, items: list[dict], now: dt.datetime, reminder: bool
) -> tuple[str, str, str]:
    off = [i for i in items if i["status"] in OFF_TRACK]
    no_evidence = [i for i in items if i.get("evidence_missing")]
    new = sum(i["change"] == "new" for i in items)
    recovered = sum(i["change"] == "recovered" for i in items)
    changed = sum(i["change"] == "changed" for i in items)
    date = vi.date(now)
    if reminder:
        subject = (
            f"[chiso] Nhắc lại: {owner_name} còn {len(off)} tiêu chí chưa đạt mục tiêu — {date}"
        )
    else:
        bits = [
            f"{n} {label}"
            for n, label in ((new, "mới"), (changed, "thay đổi"), (recovered, "đã đạt lại"))
            if n
        ]
        subject = (
            f"[chiso] {owner_name}: {len(off)} tiêu chí chưa đạt mục tiêu"
            + (f", {len(no_evidence)} thiếu tài liệu kiểm chứng" if no_evidence else "")
            + f" ({', '.join(bits)}) — {date}"
        )
    intro = (
        f"Kính gửi {owner_name},\n\n"
        f"Theo {plan.title or 'kế hoạch'} (năm cơ sở {plan.baseline_year}, năm mục tiêu "
        f"{plan.target_year}), số liệu ngày {date} cho thấy {len(off)} tiêu chí do đơn vị "
        "phụ trách chưa đạt mục tiêu"
        + (f", {len(no_evidence)} tiêu chí tự chấm có điểm nhưng chưa có tài liệu kiểm chứng"
           if no_evidence else "")
        + (f" và {recovered} tiêu chí đã đạt lại." if recovered else ".")
    )
    note = (
        'Giá trị "tạm tính" là điểm tự đánh giá, chưa thẩm định: có thể còn cải thiện '
        "trước khi thẩm định."
        + (" Tiêu chí thiếu tài liệu kiểm chứng có thể bị trừ điểm khi thẩm định: bổ sung"
           " văn bản, đường dẫn hoặc tệp vào cột Tài liệu kiểm chứng hoặc sổ theo dõi tài"
           " liệu kiểm chứng." if no_evidence else "")
    )
    rows = [_row_cells(i) for i in items]
    text_lines = [intro, ""]
    for i, r in zip(items, rows, strict=True):
        text_lines.append(
            f"- [{r[9]}] {i['index_name']} {r[1]} {r[2]} ({r[3]}): cơ sở {r[4]},"
            f" mục tiêu {r[5]}, hiện tại {r[6]}, chênh lệch {r[7]} — {r[8]}"
        )
    text_lines += ["", note, "", "Văn phòng Sở (chiso, thư tự động)"]
    body = _page(
        subject,
        [
            f"<p>{html.escape(intro).replace(chr(10), '<br>')}</p>",
            _html_table(_COLUMNS, rows),
            f"<p style='color:#555'>{html.escape(note)}</p>",
            "<p style='color:#777;font-size:12px'>Văn phòng Sở (chiso, thư tự động)</p>",
        ],
    )
    return subject, "\n".join(text_lines), body


def render_digest(
    plan: Plan, gaps: Published, troubles: list[dict], report: AlertReport, now: dt.datetime
) -> tuple[str, str, str]:
    date = vi.date(now)
    # a rejected file is reported once, and again only when it changes (flows/inbox.py)
    rejected = [r for r in gaps.rejected if not r["reported_before"]]
    ranks = gaps.ranks
    missed = gaps.totals.get("missed", 0)
    at_risk = gaps.totals.get("at_risk", 0)
    subject = f"[chiso] Tổng hợp ngày {date}: {missed} không đạt, {at_risk} có nguy cơ"
    units = plan.raw["owner_units"]
    owner_rows = []
    for owner in sorted(units, key=lambda o: vi.sort_key(units[o]["name"])):
        mine = gaps.by_owner.get(owner, {})
        owner_rows.append(
            [
                units[owner]["name"],
                str(sum(mine.values())),
                str(mine.get("met", 0)),
                str(mine.get("missed", 0)),
                str(mine.get("at_risk", 0)),
                str(mine.get("no_data", 0)),
            ]
        )
    owner_headers = [
        "Đơn vị phụ trách",
        "Tổng",
        "Đạt",
        "Không đạt",
        "Có nguy cơ",
        "Chưa có số liệu",
    ]
    worst = gaps.worst
    worst_rows = [_row_cells({**r, "change": "unchanged", "before": None})[:9] for r in worst]
    lines = [
        f"Tổng hợp theo {plan.title or 'kế hoạch'}, số liệu ngày {date}.",
        f"Không đạt: {missed}; có nguy cơ (điểm tạm tính): {at_risk};"
        f" tự chấm có điểm nhưng thiếu tài liệu kiểm chứng: {gaps.n_evidence_missing}.",
        "",
        "Theo đơn vị phụ trách:",
    ]
    lines += [
        f"- {r[0]}: {r[1]} tiêu chí, đạt {r[2]}, không đạt {r[3]}, có nguy cơ {r[4]},"
        f" chưa có số liệu {r[5]}"
        for r in owner_rows
    ]
    if not report.owner_emails_on:
        lines += [
            "",
            "Thư cho các đơn vị phụ trách chưa được bật (alerts.owner_emails trong kế"
            " hoạch): hiện chỉ gửi bản tổng hợp này.",
        ]
    elif report.created:
        lines += ["", f"Đã lập {len(report.created)} thư cho các đơn vị phụ trách trong lượt này."]
    parts_html = [
        f"<h2 style='font-size:18px'>{html.escape(subject)}</h2>",
        f"<p>{html.escape(lines[0])}<br>{html.escape(lines[1])}</p>",
        _html_table(owner_headers, owner_rows),
    ]
    if worst_rows:
        lines += ["", "Tiêu chí chênh lệch lớn nhất:"]
        lines += [
            f"- {r[0]} {r[1]} {r[2]}: mục tiêu {r[5]}, hiện tại {r[6]} ({r[8]})" for r in worst_rows
        ]
        parts_html += [
            "<h3 style='font-size:15px'>Tiêu chí chênh lệch lớn nhất</h3>",
            _html_table(_COLUMNS[:9], worst_rows),
        ]
    if rejected:
        lines += ["", "Tệp dữ liệu không nạp được:"]
        lines += [f"- {r['file']}: {r['message']}" for r in rejected]
        lines += ["Bản sao tệp lỗi và báo cáo lỗi chi tiết (từng dòng, cột) được để riêng trong"
                  " thư mục rejected/ cạnh cơ sở dữ liệu."]
        parts_html += [
            "<h3 style='font-size:15px'>Tệp dữ liệu không nạp được</h3>",
            _html_table(["Tệp", "Lỗi"], [[r["file"], r["message"] or ""] for r in rejected]),
            f"<p>{html.escape(lines[-1])}</p>",
        ]
    if gaps.tree_mismatches:
        tree_lines = [tree_mismatch_text(r) for r in gaps.tree_mismatches]
        lines += ["", f"{TREE_HEADING}:"] + [f"- {t}" for t in tree_lines]
        parts_html += [
            f"<h3 style='font-size:15px'>{html.escape(TREE_HEADING)}</h3>",
            "<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in tree_lines) + "</ul>",
        ]
    if gaps.deadlines:
        heading = "Các mốc thời gian của kế hoạch"
        deadline_lines = [deadline_text(d) for d in gaps.deadlines]
        lines += ["", f"{heading}:"] + [f"- {t}" for t in deadline_lines]
        parts_html += [
            f"<h3 style='font-size:15px'>{heading}</h3>",
            "<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in deadline_lines) + "</ul>",
        ]
    if gaps.lagging:
        heading = "Đơn vị chưa trả lời đủ phiếu điều tra xã hội học"
        lag_rows = [
            [r["index_name"], r["unit_name"] or r["unit_code"], str(r["forms_assigned"]),
             str(r["forms_answered"]), vi.percent(r["response_rate_pct"]),
             vi.percent(r["target_pct"])]
            for r in gaps.lagging
        ]
        lines += ["", f"{heading}:"]
        lines += [f"- {r[1]} ({r[0]}): đã trả lời {r[3]}/{r[2]} phiếu ({r[4]}; mục tiêu {r[5]})"
                  for r in lag_rows]
        parts_html += [
            f"<h3 style='font-size:15px'>{heading}</h3>",
            _html_table(["Chỉ số", "Đơn vị", "Phiếu được giao", "Đã trả lời", "Tỷ lệ",
                         "Mục tiêu"], lag_rows),
        ]
    missed_ranks = [r for r in ranks if r["status"] == "missed"]
    if missed_ranks:
        rank_rows = [
            [r["index_name"], r["member"], "Tổng" if r["scope"] == "TOTAL" else r["scope"],
             f"{r['baseline_rank']}/{r['baseline_n_ranked']}",
             f"{r['current_rank']}/{r['current_n_ranked']}"]
            for r in missed_ranks
        ]
        lines += ["", "Xếp hạng chưa cao hơn năm cơ sở (tính từ điểm công bố, không phải bảng"
                  " xếp hạng chính thức):"]
        lines += [f"- {r[0]} {r[1]} {r[2]}: hạng {r[3]} → {r[4]}" for r in rank_rows]
        parts_html += [
            "<h3 style='font-size:15px'>Xếp hạng chưa cao hơn năm cơ sở</h3>",
            _html_table(["Chỉ số", "Tỉnh / đơn vị", "Phạm vi",
                         f"Hạng {missed_ranks[0]['baseline_year']}",
                         f"Hạng {missed_ranks[0]['current_year']}"], rank_rows),
        ]
    if troubles:
        state_vi = {
            "unknown": "không rõ đã gửi hay chưa (không gửi lại tự động)",
            "pending": "chưa gửi được, sẽ thử lại",
        }
        lines += ["", "Thư cần kiểm tra:"]
        lines += [f"- {t['subject']} → {t['recipient']}: {state_vi[t['state']]}" for t in troubles]
        parts_html += [
            "<h3 style='font-size:15px'>Thư cần kiểm tra</h3>",
            _html_table(
                ["Thư", "Người nhận", "Tình trạng"],
                [[t["subject"], t["recipient"], state_vi[t["state"]]] for t in troubles],
            ),
        ]
    footer = "Văn phòng Sở (chiso, thư tự động)"
    lines += ["", footer]
    parts_html.append(f"<p style='color:#777;font-size:12px'>{html.escape(footer)}</p>")
    return subject, "\n".join(lines), _page(subject, parts_html)


def build_email(row: dict, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = row["subject"]
    msg["From"] = formataddr(("chiso", sender))
    msg["To"] = row["recipient"]
    msg["Message-ID"] = make_msgid(idstring=row["message_id"], domain="chiso.local")
    msg["X-Chiso-Message"] = row["message_id"]
    msg.set_content(row["body_text"])
    msg.add_alternative(row["body_html"], subtype="html")
    return msg


# --- delivering -----------------------------------------------------------------------------


def deliver_pending(
    store: AlertStore,
    settings: mailer.SmtpSettings | None,
    outbox: Path,
    report: AlertReport,
    now: dt.datetime,
    kind: str,
    run_id: str,
) -> None:
    """Send (or write) every pending message of `kind`, each tried at most SEND_ATTEMPTS times
    in this run. Once the server cannot be reached at all, the messages not yet tried wait
    for the next run (they are not tried again and again against a server that is down)."""
    sender = settings.sender if settings else "chiso@localhost"
    for row in store.pending(kind):
        message = build_email(row, sender)
        if settings is None:
            path = mailer.write_eml(outbox, row["message_id"], message)
            store.delivered(row, "written", now, run_id, str(path))
            continue
        if report.unreachable:
            break
        for attempt in range(SEND_ATTEMPTS):
            store.set_state(row["message_id"], "sending", attempt=True)
            faults.point("alert-send")
            try:
                mailer.send_smtp(settings, message)
            except mailer.DeliveryUnknown as exc:
                store.set_state(row["message_id"], "unknown", str(exc))
                log.error("delivery of %s unknown: %s", row["message_id"], exc)
                break
            except mailer.DeliveryFailed as exc:
                store.set_state(row["message_id"], "pending", str(exc))
                log.warning(
                    "sending %s failed (attempt %d of %d): %s", row["message_id"], attempt + 1,
                    SEND_ATTEMPTS, exc,
                )
                if attempt + 1 < SEND_ATTEMPTS:
                    time.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
                    continue
                report.unreachable = isinstance(exc, mailer.Unreachable)
                break
            # the server has the message: a kill from here to the record leaves it `sending`,
            # which the next run marks unknown (never resent)
            faults.point("alert-sent")
            store.delivered(row, "sent", now, run_id)
            break


def run_alerts(
    db: Path, plan: Plan, run_id: str, now: dt.datetime | None = None, preview: bool = False
) -> AlertReport:
    """Decide what to tell whom from the published database, then send it (or preview it).

    Owner emails go first, each tried SEND_ATTEMPTS times; the Office digest is planned
    after them, so it lists the messages that could not be sent, and sent last. A message
    replaces one of the same kind to the same recipient still pending from an earlier run.
    The alert log is then published for analysts (publish_log)."""
    now = now or dt.datetime.now(TZ)
    owner_on = bool(plan.raw.get("alerts", {}).get("owner_emails", False))
    settings = None if preview else mailer.smtp_settings()
    store = AlertStore(state_path(db))
    try:
        report = AlertReport(
            mode="preview" if preview else ("smtp" if settings else "outbox"),
            owner_emails_on=owner_on,
        )
        changes_before = store.db.total_changes
        inputs = None
        if not preview:
            store.mark_interrupted()
            inputs = _inputs_fingerprint(db, plan)
            if (store.db.total_changes == changes_before
                    and inputs == store.evaluated_fingerprint()
                    and not store.by_state("pending")
                    and not _reminder_or_digest_due(plan, store, now)):
                return _settled(report, store, db, run_id, changed=False)
        gaps = _read_published(db, store.told_keys(), plan.target_year, owner_rows=owner_on)
        if owner_on:
            for msg in plan_owner_messages(plan, gaps, store, now):
                report.messages.append(msg)
                if not preview and store.known(msg.message_id) is None:
                    store.add(msg, run_id, now)
        if not preview:
            deliver_pending(store, settings, outbox_path(db), report, now, "owner", run_id)
        digest = plan_digest(plan, gaps, store, report, now, run_id)
        if digest is not None:
            report.messages.append(digest)
            if not preview and store.known(digest.message_id) is None:
                store.add(digest, run_id, now)
        if not preview:
            deliver_pending(store, settings, outbox_path(db), report, now, "digest", run_id)
        if inputs is not None:
            store.set_evaluated(inputs, now)
        if preview:
            return report
        return _settled(report, store, db, run_id,
                        changed=store.db.total_changes != changes_before)
    finally:
        store.close()


def _settled(
    report: AlertReport, store: AlertStore, db: Path, run_id: str, changed: bool
) -> AlertReport:
    """Fill the report from the alert log, and publish the log when it changed."""
    if report.mode == "outbox":
        report.outbox = str(outbox_path(db))
    counts = store.counts(run_id)
    for what in ("created", "sent", "written", "pending", "unknown", "superseded"):
        setattr(report, what, counts.get(what, []))
    published = published_log_path(db)
    if changed or not published.exists():
        publish_log(store, published)
    report.log_path = str(published)
    return report


# --- the alert log as analysts read it ------------------------------------------------------

LOG_COLUMNS = (
    "message_id varchar, run_id varchar, created_at timestamptz, kind varchar,"
    " owner_unit varchar, recipient varchar, subject varchar, state varchar, attempts integer,"
    " last_error varchar, delivered_at timestamptz, delivered_run varchar,"
    " superseded_by varchar"
)


def published_log_path(db: Path) -> Path:
    """The alert log analysts read, beside the published database: var/chiso.alerts.duckdb."""
    return db.with_name(db.stem + ".alerts.duckdb")


def publish_log(store: AlertStore, path: Path) -> None:
    """Publish the alert log (no message bodies) as its own small DuckDB file, built beside
    it and renamed into place like the results: a reader holding the old file keeps it, and
    the published results file is never opened for writing after its swap."""
    rows = store.db.execute(
        "select message_id, run_id, created_at, kind, owner_unit, recipient, subject, state,"
        " attempts, last_error, delivered_at, delivered_run, superseded_by from alert_log"
        " order by created_at, message_id"
    ).fetchall()
    build = path.with_name(f".{path.name}.build-{os.getpid()}")
    build.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(build)) as con:
            con.execute(f"create table alert_log ({LOG_COLUMNS})")
            insert_many(
                con, "insert into alert_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            con.execute(
                "comment on table alert_log is 'Every email chiso made and its delivery state:"
                " pending, sending, sent, written (to the outbox), unknown, superseded.'"
            )
        os.replace(build, path)
    except BaseException:
        build.unlink(missing_ok=True)
        raise
