"""Delivery adapters and their ports. ``permitcard.bootstrap`` installs the mailer the settings choose:
the file mailer writes RFC 5322 files to var/mail, the SMTP mailer sends through a relay. Text
messages get an adapter here when a deployment has an SMS gateway (``SMS`` stays empty until then).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from permitcard.db import private_dir, write_private
from permitcard.shared.ports import Port


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None: ...


class SmsSender(Protocol):
    def send(self, *, to: str, body: str, message_id: str) -> None: ...


MAILER: Port[Mailer] = Port("mailer")
SMS: Port[SmsSender] = Port("SMS gateway")


class FileMailer:
    """Each message is one .eml file in a folder: readable, and what tests and demos check."""

    def __init__(self, folder: Path, *, sender: str = "permitcard@localhost") -> None:
        self.folder, self.sender = folder, sender

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        private_dir(self.folder)  # e-mails carry personal data: only the service's user reads them (0700/0600)
        msg = _message(self.sender, to, subject, body)
        path = self.folder / f"{message_id}.eml"
        tmp = path.with_suffix(".tmp")
        write_private(tmp, bytes(msg))
        tmp.replace(path)


class SmtpMailer:
    def __init__(self, host: str, port: int, *, sender: str = "permitcard@localhost") -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(_message(self.sender, to, subject, body))


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def mailer() -> Mailer:
    """The installed mailer."""
    return MAILER.get()
