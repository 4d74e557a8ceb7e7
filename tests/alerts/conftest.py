"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import shutil
import socket
import subprocess
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from flows.notify import alerts
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: every accepted message, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def point_smtp_at(monkeypatch, port: int, **extra: str) -> None:
    """CHISO_SMTP_* for a plain server on loopback; extra overrides (e.g. SECURITY="ssl")."""
    values = {"HOST": "127.0.0.1", "PORT": str(port), "SECURITY": "none",
              "SENDER": "chiso@stttt.example.gov.vn", **extra}
    for key, value in values.items():
        monkeypatch.setenv(f"CHISO_SMTP_{key}", value)


@pytest.fixture
def smtp_server(monkeypatch):
    """A plain SMTP server; CHISO_SMTP_* point at it."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    point_smtp_at(monkeypatch, port)
    monkeypatch.setattr(alerts, "RETRY_SECONDS", (0.01, 0.01))
    yield handler
    controller.stop()


@pytest.fixture
def plan_owners_on(tmp_path) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(
        PLAN.read_text(encoding="utf-8").replace("owner_emails: false", "owner_emails: true"),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def inbox(tmp_path) -> Path:
    path = tmp_path / "inbox"
    shutil.copytree(SAMPLE, path)
    return path


@pytest.fixture(scope="module")
def _published_once(tmp_path_factory):
    """The sample built and published once a module (inbox left as the run leaves it, var/)."""
    folder = tmp_path_factory.mktemp("published")
    shutil.copytree(SAMPLE, folder / "inbox")
    _, plan, _ = build_db(folder / "var" / "chiso.duckdb", folder / "inbox", PLAN)
    return folder, plan


@pytest.fixture
def published(tmp_path, inbox, _published_once):
    """The sample, published, in this test's own folder (a copy of one build: the files a run
    leaves are the same bytes); returns (db path, plan) for the default plan."""
    folder, plan = _published_once
    shutil.rmtree(inbox)
    shutil.copytree(folder / "inbox", inbox)
    shutil.copytree(folder / "var", tmp_path / "var")
    return tmp_path / "var" / "chiso.duckdb", plan


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), for STARTTLS and SSL tests."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed: cannot make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key
