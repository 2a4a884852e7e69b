from __future__ import annotations

from permitcard.shared.schemas import ApiModel


class BranchOut(ApiModel):
    id: int
    code: str
    bank_code: str
    bank_name: str
    name: str
    address: str
    phone: str
    city_code: str
    instant_production: bool
    immediate_replacement: bool
