"""The province digest: one email to the monitoring office (province.yaml monitoring_office)
after a province run, on the same exactly-once rules as a plan's Office digest
(flows/notify/alerts.py, plan_digest): sent when what it says changed (a plan's standing or
status, a file no plan took, a message still undelivered), and every `digest_every_days`
regardless; each message once (the alert store beside the province file: SQLite, WAL), retried
while pending, never resent once the server has it. Words: templates/province_digest*.j2."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from flows.documents import published
from flows.documents.render import render
from flows.notify import mailer
from flows.notify.alerts import AlertReport, _fingerprint, _settled, deliver_pending
from flows.notify.store import AlertStore, Outgoing, outbox_path, state_path
from flows.warehouse.run_records import TZ

log = logging.getLogger(__name__)
DIGEST_EVERY_DAYS = 7


def run_province_digest(db: Path, office: dict[str, str], run_id: str,
                        now: dt.datetime | None = None,
                        every_days: int = DIGEST_EVERY_DAYS) -> AlertReport:
    """Decide and deliver the province digest from the province file just published."""
    now = now or dt.datetime.now(TZ)
    settings = mailer.smtp_settings()
    store = AlertStore(state_path(db))
    try:
        report = AlertReport(mode="smtp" if settings else "outbox", owner_emails_on=False)
        changes_before = store.db.total_changes
        store.mark_interrupted()
        with published.read_only(db) as con:
            plans = published.rows(con, "select * from rpt_province__plans")
            unrouted = published.rows(con, "select * from province_unrouted order by file")
            rejected = published.rows(con, "select * from plan_rejected order by all")
            standing = published.rows(con, "select * from rpt_province__standing")[0]
        troubles = [t for t in store.by_state("unknown", "pending")
                    if not (t["kind"] == "digest" and t["state"] == "pending")]
        fp = _fingerprint([
            [(p["plan_id"], p["status"], p["n_off_track"], p["n_off_1"], p["n_off_2"],
              p["n_off_3"], p["n_off_4"], p["n_evidence_missing"], p["n_units_lagging"],
              p["n_rejected"])
             for p in plans],
            [(u["file"], u["reason"]) for u in unrouted],
            [(r["plan_id"], r["file"], r["message"]) for r in rejected],
            sorted(t["message_id"] for t in troubles),
        ])
        last = store.last_delivery("digest", None)
        every = dt.timedelta(days=every_days)
        if not (fp == store.digest_fingerprint() and last is not None and now - last < every):
            context = dict(standing=standing, office=office, plans=plans, unrouted=unrouted,
                           rejected=rejected, troubles=troubles, now=now)
            message_id = (f"{now:%Y%m%d}-province-digest-"
                          f"{_fingerprint([fp, store.last_delivered_id('digest', None)])[:16]}")
            msg = Outgoing(message_id, "digest", None, office["email"],
                           render("province_digest_subject.txt.j2", **context).strip(),
                           render("province_digest.txt.j2", **context),
                           render("province_digest.html.j2", **context), [{"fingerprint": fp}])
            report.messages.append(msg)
            if store.known(message_id) is None:
                store.add(msg, run_id, now)
        deliver_pending(store, settings, outbox_path(db), report, now, "digest", run_id)
        return _settled(report, store, db, run_id,
                        changed=store.db.total_changes != changes_before)
    finally:
        store.close()
