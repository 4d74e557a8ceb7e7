"""The alert state: every message chiso made and its delivery state, and what each owner was
last told (SQLite, beside the database, WAL: readers never block), and the alert log it
publishes for analysts (chiso.alerts.duckdb, build-then-rename).

Exactly once: a message is recorded `pending` before it is sent, `sending` just before the SMTP
handover and `sent` after. One left `sending` by a killed run becomes `unknown` and is never
resent blindly; a pending one is superseded by the next message of its kind to the same
recipient.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from flows.warehouse.db import insert_many

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

    def told_rows(self) -> list[list]:
        """What every owner was last told, a row per criterion: (owner_unit, item_key, status,
        current_value, target_value, current_stage, evidence_missing)."""
        return [list(r[:6]) + [bool(r[6])] for r in self.db.execute(
            "select owner_unit, item_key, status, current_value, target_value, current_stage,"
            " evidence_missing from notified"
        )]

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
