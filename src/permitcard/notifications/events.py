"""Notifications are themselves queued as an event, so they leave only after the change commits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from permitcard.shared import crypto
from permitcard.shared.events import Event


@dataclass(frozen=True)
class NotificationRequested(Event):
    """Send ``template`` in ``locale`` to ``to``; the same ``dedupe_key`` is sent once.

    In the outbox the address and the parameters are one encrypted field (``sealed``): the parameters
    may be a live secret (a password-reset or invitation link, an e-card code), and the outbox keeps
    its rows after delivery."""

    name: ClassVar[str] = "notification.send"

    to: str
    template: str
    locale: str
    dedupe_key: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        return {"template": self.template, "locale": self.locale, "dedupe_key": self.dedupe_key,
                "sealed": crypto.encrypt(json.dumps({"to": self.to, "params": self.params}, default=str))}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> NotificationRequested:
        if "sealed" not in payload:  # written before the payload was sealed
            return super().from_payload(payload)
        inner = json.loads(crypto.decrypt(payload["sealed"]))
        return cls(to=inner["to"], template=payload["template"], locale=payload["locale"],
                   dedupe_key=payload["dedupe_key"], params=inner["params"])
