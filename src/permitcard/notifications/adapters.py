"""Delivery adapters and their ports. ``permitcard.bootstrap`` installs the mailer the settings choose:
the file mailer writes RFC 5322 files to var/mail, the SMTP mailer sends through a relay. Text
messages get an adapter here when a deployment has an SMS gateway (``SMS`` stays empty until then).
"""

from __future__ import annotations

import smtplib
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate
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
        path = self.folder / f"{message_id}.eml"
        tmp = path.with_suffix(".tmp")
        write_private(tmp, message_bytes(self.sender, to, subject, body, message_id=message_id))
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


_MAX_LINE = 998  # octets per line (RFC 5322 2.1.1)


def message_bytes(sender: str, to: str, subject: str, body: str, *, message_id: str = "") -> bytes:
    """One RFC 5322 message of plain text, as bytes: a header of a line each (the subject RFC 2047-encoded
    when it is not ASCII, folded as any mail reader unfolds it), then the body in UTF-8 (8bit).

    Built directly, because the outbox worker builds every e-mail while it holds SQLite's one writer:
    ``EmailMessage`` parses each header through its header registry, 1.6 ms a message on the bench
    machine, this 0.2 ms. A body with a line too long for 8bit goes through ``EmailMessage``, which
    chooses quoted-printable or base64."""
    if any(c in value for value in (sender, to, message_id) for c in "\r\n"):
        raise ValueError("a line break in an e-mail header")
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    data = text.encode()
    one_line = " ".join(subject.split())  # a line break in a subject would start a header of its own
    if any(len(line) > _MAX_LINE for line in data.split(b"\n")):
        return bytes(_message(sender, to, one_line, body))
    head = [f"From: {sender}", f"To: {to}",
            "Subject: " + Header(one_line, None if one_line.isascii() else "utf-8").encode(),
            f"Date: {formatdate(usegmt=True)}"]
    if message_id:
        head.append(f"Message-ID: <{message_id}@{sender.rpartition('@')[2] or 'localhost'}>")
    head += ['Content-Type: text/plain; charset="utf-8"',
             f"Content-Transfer-Encoding: {'7bit' if data.isascii() else '8bit'}", "MIME-Version: 1.0"]
    return ("\n".join(head) + "\n\n").encode() + data


def mailer() -> Mailer:
    """The installed mailer."""
    return MAILER.get()
