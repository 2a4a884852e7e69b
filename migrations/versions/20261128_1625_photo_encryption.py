"""card photos (biometric data) encrypted at rest, like passports

Revision ID: b7c0a0000007
Revises: b7c0a0000005
Create Date: 2026-11-28 16:25:00

No schema change: ``photo.image`` stays a binary column; what it holds becomes AES-256-GCM sealed
(``shared.crypto.EncryptedBytes``). Existing clear photos are encrypted here, a batch at a time;
running it twice changes nothing (sealed rows carry a marker no JPEG starts with).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c0a0000007'
down_revision: str | None = 'b7c0a0000005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_photo = sa.table('photo', sa.column('id', sa.Integer), sa.column('image', sa.LargeBinary))
_BATCH = 200


def _rewrite(seal: bool) -> None:
    from permitcard.shared.crypto import BYTES_MARKER, decrypt_bytes, encrypt_bytes

    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.select(_photo.c.id, _photo.c.image).where(_photo.c.id > last)
                            .order_by(_photo.c.id).limit(_BATCH)).all()
        if not rows:
            return
        for row_id, image in rows:
            data = bytes(image) if image is not None else None
            if data is not None and data.startswith(BYTES_MARKER) != seal:
                new = encrypt_bytes(data) if seal else decrypt_bytes(data)
                conn.execute(sa.update(_photo).where(_photo.c.id == row_id).values(image=new))
        last = rows[-1][0]


def upgrade() -> None:
    _rewrite(seal=True)


def downgrade() -> None:
    _rewrite(seal=False)
