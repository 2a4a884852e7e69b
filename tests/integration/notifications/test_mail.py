"""Notifications leave through the outbox after commit, in the reader's language, once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from permitcard.bootstrap import adapters, install
from permitcard.notifications import service as notifications
from permitcard.notifications.adapters import FileMailer, SmtpMailer
from permitcard.shared import outbox

PARAMS = {"reference": "SSC-TEST1234", "name": "Maria García", "branch": "CCB Dongguan Branch",
          "branch_address": "2 Hongfu Road"}


@pytest.fixture
def maildir(tmp_path) -> Iterator[Path]:
    """The app's adapters with the file mailer writing into this test's folder."""
    assembled = adapters()
    install(replace(assembled, mailer=FileMailer(tmp_path / "mail")))
    yield tmp_path / "mail"
    install(assembled)


def _messages(folder: Path):
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def test_card_ready_mail_is_written_after_commit_in_chinese(db, maildir):
    with db.uow() as s:
        notifications.notify(s, to="maria@example.com", template="card_ready", params=PARAMS, locale="zh_Hans",
                             dedupe_key="card_ready:1")
        s.commit()
    assert not maildir.exists() or not list(maildir.glob("*.eml"))  # nothing is sent inside the transaction
    outbox.dispatch(db)
    [mail] = _messages(maildir)
    assert mail["To"] == "maria@example.com"
    assert "SSC-TEST1234" in mail["Subject"] and "领" in mail["Subject"] + mail.get_content()
    assert "2 Hongfu Road" in mail.get_content()


def test_the_same_notification_is_sent_once(db, maildir):
    for _ in range(2):
        with db.uow() as s:
            notifications.notify(s, to="maria@example.com", template="card_ready", params=PARAMS, locale="en",
                                 dedupe_key="card_ready:2")
            s.commit()
    outbox.dispatch(db)
    mails = _messages(maildir)
    assert len(mails) == 1 and mails[0]["Subject"].startswith("Your card is ready for collection")


def test_file_mailer_writes_a_readable_message(tmp_path):
    FileMailer(tmp_path).send(to="a@example.com", subject="Subject 主题", body="Body 正文\n", message_id="00000001")
    [mail] = _messages(tmp_path)
    assert mail["Subject"] == "Subject 主题" and "正文" in mail.get_content()


def test_a_written_message_reads_back_whole_and_keeps_to_its_headers(tmp_path):
    """A long bilingual subject comes back as written; a line break typed into a name cannot add a
    header (Bcc); a body line too long for 8bit is encoded; a line break in an address is refused."""
    mailer = FileMailer(tmp_path)
    subject = "您的社会保险登记已完成 Your social insurance registration is complete — SSC-TEST1234 " * 2
    mailer.send(to="a@example.com", subject=subject, body="尊敬的用户\r\nDear user\n", message_id="00000001")
    mailer.send(to="a@example.com", subject="For Maria\r\nBcc: spy@example.com", body="x" * 2000,
                message_id="00000002")
    first, second = _messages(tmp_path)
    assert first["Subject"] == subject.strip() and first.get_content() == "尊敬的用户\nDear user\n"
    assert first["Message-ID"] == "<00000001@localhost>" and first["Date"] is not None
    assert second["Bcc"] is None and second["Subject"] == "For Maria Bcc: spy@example.com"
    assert second.get_content().strip() == "x" * 2000
    with pytest.raises(ValueError):
        mailer.send(to="a@example.com\nBcc: spy@example.com", subject="s", body="b", message_id="00000003")


def test_smtp_mailer_delivers_to_a_local_smtp_server(tmp_path):
    """A real SMTP conversation with a tiny local server (aiosmtpd-free: smtpd-like socket loop)."""
    import socket
    import threading

    received: list[bytes] = []
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve() -> None:
        conn, _ = srv.accept()
        f = conn.makefile("rb")
        conn.sendall(b"220 localhost ESMTP\r\n")
        data_mode = False
        while True:
            line = f.readline()
            if not line:
                break
            if data_mode:
                if line == b".\r\n":
                    data_mode = False
                    conn.sendall(b"250 OK\r\n")
                else:
                    received.append(line)
                continue
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                conn.sendall(b"250 localhost\r\n")
            elif cmd == b"DATA":
                data_mode = True
                conn.sendall(b"354 go ahead\r\n")
            elif cmd == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                break
            else:
                conn.sendall(b"250 OK\r\n")
        conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    SmtpMailer("127.0.0.1", port).send(to="b@example.com", subject="Hello", body="Card ready\n", message_id="1")
    t.join(timeout=5)
    srv.close()
    text = b"".join(received).decode()
    assert "To: b@example.com" in text and "Card ready" in text
