from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from permitcard.db import Base
from permitcard.shared.crypto import EncryptedText


class Notification(Base):
    """A message to a person. The outbox's handler writes it (unsent) in the worker's transaction; the
    worker hands it to the mailer after that commits, outside the database's locks, and marks it sent.
    ``available_at`` is when another worker may send a row still unsent: a lease for the worker that
    wrote it, then the back-off after a failed send (``attempts``, ``last_error``)."""

    __tablename__ = "notification_message"
    __table_args__ = (Index("ix_notification_message_unsent", "available_at",
                            sqlite_where=text("sent_at IS NULL"), postgresql_where=text("sent_at IS NULL")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | sms
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    # Encrypted: a message may carry a live secret (a password-reset or invitation link, an e-card code)
    # besides names and references. The recipient stays readable for operators, as the accounts' e-mail.
    subject: Mapped[str] = mapped_column(EncryptedText)
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    available_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
