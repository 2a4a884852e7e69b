from __future__ import annotations

from fastapi import APIRouter, Depends

from permitcard.auth.deps import get_db
from permitcard.banks import service
from permitcard.banks.schemas import BranchOut
from permitcard.db import Database
from permitcard.shared import i18n

router = APIRouter(prefix="/api/v1", tags=["branches"])


@router.get("/branches", response_model=list[BranchOut])
def branches(db: Database = Depends(get_db)) -> list[BranchOut]:
    """Issuing branches in this city and what each offers (public)."""
    zh = i18n.get_locale() == "zh_Hans"
    return [
        BranchOut(id=b.id, code=b.code, bank_code=b.bank_code, bank_name=b.bank_name_zh if zh else b.bank_name_en,
                  name=b.name, address=b.address, phone=b.phone, instant_production=b.instant_production,
                  immediate_replacement=b.immediate_replacement)
        for b in service.list_branches(db)
    ]
