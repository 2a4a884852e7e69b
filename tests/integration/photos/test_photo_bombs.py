"""Issue 10: a tiny JPEG that declares a huge picture is refused from its header, before any decoding; a
truncated JPEG is a clear 422; decoding never runs on the event loop."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
import time

from fastapi.testclient import TestClient
from PIL import Image

from permitcard.db import Database
from permitcard.photos import domain, service
from tests.factories import api_login
from tests.insurance_factories import jpeg_bytes, make_studio


def bomb(width: int = 6000, height: int = 6600) -> bytes:
    """A small JPEG whose frame header (SOF0) declares ``width`` x ``height``."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 180, 160)).save(buf, format="JPEG", quality=50)
    data = bytearray(buf.getvalue())
    at = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def _upload(client: TestClient, data: bytes, **headers: str):  # type: ignore[no-untyped-def]
    form = {"family_name": "Garcia", "given_names": "Maria", "passport_number": "PA1234567"}
    return client.post("/api/v1/photos", data=form, files={"file": ("p.jpg", data, "image/jpeg")}, headers=headers)


def test_declared_size_is_refused_before_decoding(db: Database, client: TestClient) -> None:
    data = bomb()
    assert len(data) < 4096
    api_login(client, make_studio(db))
    started = time.perf_counter()
    r = _upload(client, data)
    elapsed = time.perf_counter() - started
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["message"] == "The photo is too large in pixels. Make it at most 12 megapixels"
    assert elapsed < 1.5, elapsed  # decoding it would take ~2 s and 650 MB
    started = time.perf_counter()
    problems = domain.photo_problems(data)
    assert problems == ["The photo is too large in pixels. Make it at most %(megapixels)s megapixels"]
    assert time.perf_counter() - started < 0.05  # the header only
    assert Image.MAX_IMAGE_PIXELS == domain.MAX_PIXELS


def test_truncated_jpeg_is_a_clear_422_in_the_readers_language(db: Database, client: TestClient) -> None:
    api_login(client, make_studio(db))
    good = jpeg_bytes()
    r = _upload(client, good[: len(good) // 2], **{"Accept-Language": "zh-CN"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "file", "message":
                                   "照片文件已损坏或不完整，无法读取。请重新上传照相馆制作的 JPEG 文件"}]


def test_decoding_runs_in_a_thread_with_bounded_concurrency(db: Database, client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    running, peak = 0, 0
    lock = threading.Lock()
    real = domain.check_photo

    def watched(data: bytes, **kw):  # type: ignore[no-untyped-def]
        nonlocal running, peak
        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append("thread")
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        try:
            return real(data, **kw)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(domain, "check_photo", watched)
    threads = [threading.Thread(target=service.decode_photo, args=(jpeg_bytes(),)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak <= 2
    seen.clear()
    api_login(client, make_studio(db))
    assert _upload(client, jpeg_bytes()).status_code == 201
    assert seen == ["thread"]
