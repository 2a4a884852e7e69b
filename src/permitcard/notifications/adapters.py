"""Delivery adapters. The built-in mailer writes RFC 5322 files to var/mail (or sends by SMTP)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from permitcard.config import get_settings


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None: ...


class FileMailer:
    """Each message is one .eml file in a folder: readable, and what tests and demos check."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        msg = _message(to, subject, body)
        path = self.folder / f"{message_id}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(msg))
        tmp.replace(path)


class SmtpMailer:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(_message(to, subject, body))


def _message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = get_settings().mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def mailer() -> Mailer:
    settings = get_settings()
    if settings.mail_backend == "smtp":
        return SmtpMailer(settings.smtp_host, settings.smtp_port)
    return FileMailer(Path(settings.var_dir) / "mail")
