"""Delivering email: SMTP (STARTTLS, SSL or plain) from environment variables or a Prefect
Secret block, or .eml files in an outbox folder when no SMTP server is configured.

The password never leaves SmtpSettings: its repr masks it and no log line prints it.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from flows.errors import ConfigError

log = logging.getLogger(__name__)
SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | ssl | none
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    # Tests use a self-signed certificate: a CA file to trust, never "verify off".
    ca_file: str | None = None

    def __repr__(self) -> str:
        auth = f", user={self.user!r}, password=***" if self.user else ""
        return (
            f"SmtpSettings({self.security}://{self.host}:{self.port}, sender={self.sender!r}{auth})"
        )


def _from_mapping(values: dict, where: str) -> SmtpSettings:
    host = (values.get("host") or "").strip()
    security = (values.get("security") or "starttls").strip().lower()
    if security not in SECURITY_PORTS:
        raise ConfigError(f"{where}: security cần là starttls, ssl hoặc none"
                          f" (đang là {security!r})")
    sender = (values.get("sender") or "").strip()
    if not sender:
        raise ConfigError(f"{where}: cần sender (địa chỉ người gửi, From)")
    try:
        port = int(values.get("port") or SECURITY_PORTS[security])
    except ValueError:
        raise ConfigError(f"{where}: port cần là một số") from None
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        sender=sender,
        user=values.get("user") or None,
        password=values.get("password") or None,
        ca_file=values.get("ca_file") or None,
        timeout=float(values.get("timeout") or 30),
    )


def smtp_settings() -> SmtpSettings | None:
    """SMTP settings from CHISO_SMTP_* variables or the Prefect Secret block named in
    CHISO_SMTP_BLOCK (a JSON object with host, port, security, user, password, sender);
    None when neither is set (messages then go to the outbox)."""
    block = os.environ.get("CHISO_SMTP_BLOCK")
    if block:
        from prefect.blocks.system import Secret

        try:
            value = Secret.load(block).get()
        except ValueError as exc:
            raise ConfigError(f"không đọc được Prefect block {block!r}: {exc}") from None
        if isinstance(value, str):
            value = json.loads(value)
        return _from_mapping(value, f"Prefect block {block!r}")
    if not os.environ.get("CHISO_SMTP_HOST"):
        return None
    env = {
        k: os.environ.get(f"CHISO_SMTP_{k.upper()}")
        for k in ("host", "port", "security", "user", "password", "sender", "ca_file", "timeout")
    }
    return _from_mapping(env, "biến môi trường CHISO_SMTP_*")


class DeliveryFailed(Exception):
    """Nothing was handed over: safe to try again."""


class Unreachable(DeliveryFailed):
    """The server could not be reached at all (refused, timed out, no such host)."""


class DeliveryUnknown(Exception):
    """The message may have been handed over (the connection dropped during DATA)."""


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib encodes credentials as ASCII; a Vietnamese password goes as UTF-8 AUTH PLAIN."""
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    code, _ = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, b"authentication failed")


def send_smtp(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send one message; raise DeliveryFailed or DeliveryUnknown, never leak the password."""
    context = ssl.create_default_context(cafile=settings.ca_file)
    try:
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise Unreachable(f"cannot connect to {settings.host}:{settings.port}: {exc}") from None
    try:
        try:
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.user:
                _login(smtp, settings.user, settings.password or "")
            recipients = [a.strip() for a in message["To"].split(",")]
            code, resp = smtp.mail(settings.sender)
            if code != 250:
                raise DeliveryFailed(f"MAIL FROM refused: {code}")
            for rcpt in recipients:
                code, resp = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    raise DeliveryFailed(f"RCPT TO {rcpt} refused: {code}")
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(
                f"SMTP login refused for user {settings.user!r}: {exc.smtp_code}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP error before the message was handed over: {exc}") from None
        # From here on the server may have the message: a drop means "unknown", not "failed".
        try:
            # SMTP lines end in CRLF; smtplib does not fix the bare LFs of as_bytes() for bytes.
            code, resp = smtp.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        except smtplib.SMTPDataError as exc:
            raise DeliveryFailed(f"message refused: {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryUnknown(
                f"connection lost while handing the message over: {exc}"
            ) from None
        if code != 250:
            raise DeliveryFailed(f"message refused: {code}")
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def write_eml(outbox: Path, message_id: str, message: EmailMessage) -> Path:
    """Write the message as <outbox>/<message_id>.eml (atomically)."""
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{message_id}.eml"
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(message.as_bytes())
    os.replace(tmp, path)
    return path
