"""Telling people: one email per owner unit listing its missed and at-risk criteria and what
changed since its last email, and a digest for the Office.

No spam: an owner gets a message only for a new miss, a changed value or a recovery, and a
reminder of unchanged misses after `alerts.reminder_days`; the Office digest goes out after a
run in which anything changed, and every `alerts.digest_every_days` regardless. Owner emails
go out only once the plan switches them on (`alerts.owner_emails: true`).

What each message lists is decided in SQL (sql/queries/qry_owner_items.sql against what the
owner was last told; the presentation marts sql/reports/rpt_* for the digest); the words are
templates (flows/documents/templates/owner.*.j2, digest.*.j2); this module decides when, and
sends. Exactly once: see flows/notify/store.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from itertools import groupby
from pathlib import Path

from flows.documents import published
from flows.documents.render import render
from flows.instrument import faults
from flows.notify import mailer
from flows.notify.store import (
    AlertStore,
    Outgoing,
    outbox_path,
    publish_log,
    published_log_path,
    state_path,
)
from flows.plan import Plan
from flows.warehouse import models
from flows.warehouse.db import insert_many
from flows.warehouse.run_records import TZ

__all__ = ["AlertReport", "AlertStore", "Outgoing", "outbox_path", "published_log_path",
           "run_alerts", "state_path"]

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 3  # tries of one message in one run
RETRY_SECONDS = (1.0, 3.0)
OWNER_ITEMS = "qry_owner_items"
# What each owner was last told (AlertStore.told_rows), beside the published file for OWNER_ITEMS.
TOLD_TABLE = ("create temp table told (owner_unit varchar, item_key varchar, status varchar,"
              " current_value varchar, target_value varchar, current_stage varchar,"
              " evidence_missing boolean)")

# Every row's state in one number, computed in DuckDB: changes when anything changes. The sum
# of each row's 64-bit hash (rows are unique by key, so none cancel out) takes 0.01-0.03 s on
# the national criterion_gaps. A DuckDB upgrade that changes hash() makes it change once.
GAPS_FINGERPRINT_SQL = (
    "select coalesce(sum(hash(index_name, appendix, unit_code, criterion_code, status,"
    " current_value, target_value, current_stage, evidence_missing)::hugeint), 0)::varchar"
    " from criterion_gaps where plan_id = (select plan_id from plan_settings)"
)


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


def _fingerprint(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _text(v: Decimal | None) -> str | None:
    return None if v is None else str(Decimal(v).normalize())


# --- reading the published results ----------------------------------------------------------

@dataclass
class Published:
    """What alerting reads of the published database: small marts (sql/reports/rpt_*), and
    the owners' items only when owner emails are on."""

    items: list[dict]  # qry_owner_items: per owner, what it is to be told
    standing: dict  # rpt_standing's total row
    owners: list[dict]  # rpt_owner_status
    worst: list[dict]  # rpt_worst, the digest's first rows
    fingerprint: str  # of every criterion's state: changes when anything changes
    rejected: list[dict]
    ranks_missed: list[dict]  # rpt_ranks not better than the baseline's
    lagging: list[dict]  # rpt_participation
    deadlines: list[dict]  # deadline_watch
    open_items: list[dict]  # rpt_open_items
    tree_mismatches: list[dict]  # rpt_tree_mismatches
    soon: list[dict]  # deadline_watch rows within alerts.deadline_soon_days, or passed


def read_published(db: Path, plan: Plan, store: AlertStore, owner_items: bool) -> Published:
    with published.read_only(db) as con:
        def rows(sql: str, params: list | None = None) -> list[dict]:
            return published.rows(con, sql, params)

        items: list[dict] = []
        if owner_items:
            con.execute(TOLD_TABLE)
            insert_many(con, "insert into told values (?, ?, ?, ?, ?, ?, ?)", store.told_rows())
            items = rows(models.model(OWNER_ITEMS).sql)
        soon_days = plan.alerts["deadline_soon_days"]
        return Published(
            items=items,
            standing=rows("select * from rpt_standing where is_total")[0],
            owners=rows("select * from rpt_owner_status"),
            worst=rows("select * from rpt_worst where worst_rank <= ? order by worst_rank",
                       [plan.alerts["digest_rows"]]),
            fingerprint=con.execute(GAPS_FINGERPRINT_SQL).fetchall()[0][0],
            rejected=rows("select file, sheet, sha256, message, coalesce(reported_before,"
                          " false) as reported_before from extracts where status = 'rejected'"
                          " order by file, sheet"),
            ranks_missed=rows("select * from rpt_ranks where status = 'missed'"),
            lagging=rows("select * from rpt_participation"),
            deadlines=rows("select * from deadline_watch"
                           " where plan_id = (select plan_id from plan_settings)"
                           " order by ends, pos"),
            open_items=rows("select * from rpt_open_items"),
            tree_mismatches=rows("select * from rpt_tree_mismatches"),
            soon=rows("select pos, label, phase, days_left <= ? as soon from deadline_watch"
                      " where plan_id = (select plan_id from plan_settings) order by pos",
                      [soon_days]),
        )


def inputs_fingerprint(db: Path, plan: Plan) -> str:
    """Everything alerting decides from, as one number: what criterion_gaps and the ranks and
    participation marts were built from (their fingerprints, by the one rule of
    flows/warehouse/fingerprint.py), which key dates are near, the rejected files, the plan.
    When it is the one the last evaluation saw and nothing is pending or due, there is nothing
    to do, and no criterion is read."""
    with published.read_only(db) as con:
        parts = [
            con.execute("select name, fingerprint from build_fingerprints where name in"
                        " ('criterion_gaps', 'rank_targets', 'participation_targets')"
                        " order by name").fetchall(),
            con.execute("select pos, label, phase, days_left <= ? from deadline_watch"
                        " where plan_id = (select plan_id from plan_settings) order by pos",
                        [plan.alerts["deadline_soon_days"]]).fetchall(),
            con.execute("select file, sha256, reported_before from extracts"
                        " where status = 'rejected' order by all").fetchall(),
        ]
    return _fingerprint([parts, plan.raw])


def _due(plan: Plan, store: AlertStore, now: dt.datetime) -> bool:
    """Is a reminder or the periodic digest due, whatever changed?"""
    last_digest = store.last_delivery("digest", None)
    if last_digest is None or now - last_digest >= dt.timedelta(
            days=plan.alerts["digest_every_days"]):
        return True
    reminder = dt.timedelta(days=plan.alerts["reminder_days"])
    return any(
        (last := store.last_delivery("owner", owner)) is None or now - last >= reminder
        for owner in store.told_owners()
    )


# --- deciding what to send ------------------------------------------------------------------

def _state(item: dict) -> dict:
    """What an owner now knows of a criterion, once its email is delivered."""
    return dict(
        key=item["item_key"], status=item["status"],
        current_value=_text(item["current_value"]), target_value=_text(item["target_value"]),
        current_stage=item["current_stage"], evidence_missing=bool(item["evidence_missing"]),
    )


def plan_owner_messages(
    plan: Plan, gaps: Published, store: AlertStore, now: dt.datetime
) -> list[Outgoing]:
    """One message per owner with something new, changed or recovered, or a reminder due."""
    reminder = dt.timedelta(days=plan.alerts["reminder_days"])
    units = plan.raw["owner_units"]
    out = []
    by_owner = {owner: list(rows) for owner, rows in
                groupby(gaps.items, key=lambda r: r["owner_unit"])}
    for owner in (r["owner_unit"] for r in gaps.owners if not r["is_total"]):
        items = by_owner.get(owner, [])
        if not items or owner not in units:
            continue
        fresh = [i for i in items if i["change"] != "unchanged"]
        last = store.last_delivery("owner", owner)
        reminder_due = not fresh and (last is None or now - last >= reminder)
        if not fresh and not reminder_due:
            continue
        state_rows = [_state(i) for i in items if i["needs_attention"]]
        # what the owner is told, after which message: the same news twice is one message, a
        # value that changes back (to what an earlier message said) is news again
        fp = _fingerprint([state_rows, [i["item_key"] for i in items
                                        if i["change"] == "recovered"],
                           store.last_delivered_id("owner", owner)])
        context = dict(plan=plan, owner_name=units[owner]["name"], items=items, now=now,
                       reminder=not fresh)
        out.append(Outgoing(
            f"{now:%Y%m%d}-owner-{owner}-{fp[:16]}", "owner", owner, units[owner]["email"],
            render("owner_subject.txt.j2", **context).strip(),
            render("owner.txt.j2", **context), render("owner.html.j2", **context), state_rows,
        ))
    return out


def plan_digest(
    plan: Plan, gaps: Published, store: AlertStore, report: AlertReport, now: dt.datetime,
    run_id: str = "preview",
) -> Outgoing | None:
    """The Office digest: after any change, and every digest_every_days regardless. It lists
    the messages whose delivery is unknown or still pending, but a pending digest, which this
    one replaces."""
    every = dt.timedelta(days=plan.alerts["digest_every_days"])
    troubles = [t for t in store.by_state("unknown", "pending")
                if not (t["kind"] == "digest" and t["state"] == "pending")]
    report.created = store.counts(run_id).get("created", [])
    fp = _fingerprint([
        gaps.fingerprint,
        sorted((r["file"], r["sha256"]) for r in gaps.rejected),
        sorted(t["message_id"] for t in troubles),
        [(r["index_name"], r["member"], r["scope"], r["current_rank"], r["status"])
         for r in gaps.ranks_missed],
        [(r["index_name"], r["unit_code"], r["forms_answered"]) for r in gaps.lagging],
        [(r["unit_code"], r["criterion_code"]) for r in gaps.tree_mismatches],
        # a deadline coming within alerts.deadline_soon_days, or passing, is news; each day's
        # count is not
        [(d["label"], d["phase"], d["soon"]) for d in gaps.soon],
    ])
    last = store.last_delivery("digest", None)
    if fp == store.digest_fingerprint() and last is not None and now - last < every:
        return None
    office = plan.raw["owner_units"][plan.office]
    context = dict(plan=plan, g=gaps, troubles=troubles, report=report, now=now,
                   rejected=[r for r in gaps.rejected if not r["reported_before"]])
    return Outgoing(
        # (after the last digest delivered: a state that comes back is news again)
        f"{now:%Y%m%d}-digest-{_fingerprint([fp, store.last_delivered_id('digest', None)])[:16]}",
        "digest", None, office["email"],
        render("digest_subject.txt.j2", **context).strip(),
        render("digest.txt.j2", **context), render("digest.html.j2", **context),
        [{"fingerprint": fp}],
    )


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
    The alert log is then published for analysts (store.publish_log)."""
    now = now or dt.datetime.now(TZ)
    owner_on = bool(plan.alerts["owner_emails"])
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
            inputs = inputs_fingerprint(db, plan)
            if (store.db.total_changes == changes_before
                    and inputs == store.evaluated_fingerprint()
                    and not store.by_state("pending") and not _due(plan, store, now)):
                return _settled(report, store, db, run_id, changed=False)
        gaps = read_published(db, plan, store, owner_items=owner_on)
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
        if preview:
            return report
        deliver_pending(store, settings, outbox_path(db), report, now, "digest", run_id)
        store.set_evaluated(inputs, now)
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
    path = published_log_path(db)
    if changed or not path.exists():
        publish_log(store, path)
    report.log_path = str(path)
    return report
