"""The e-card's adapter port. Real-name verification (SPEC §5) is the data match against the registry
plus a one-time code, behind one interface so that a face-recognition provider can be plugged in:
``permitcard.bootstrap`` installs it in ``FACE_CHECK``, which stays empty until a deployment has one.
"""

from __future__ import annotations

from typing import Protocol

from permitcard.shared.ports import Port


class FaceCheck(Protocol):
    def matches(self, *, reference_photo: bytes, live_photo: bytes) -> bool:
        """Does the live capture show the person of the card photo?"""
        ...


FACE_CHECK: Port[FaceCheck] = Port("face check")
