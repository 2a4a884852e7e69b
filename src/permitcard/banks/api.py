from __future__ import annotations

from fastapi import Depends, Query

from permitcard.auth.deps import get_db
from permitcard.banks import service
from permitcard.banks.schemas import BranchOut
from permitcard.db import Database
from permitcard.shared import i18n
from permitcard.shared.routes import Routes

router = Routes(prefix="/api/v1", tags=["branches"])


@router.get("/branches", response_model=list[BranchOut])
def branches(city: str | None = Query(default=None, pattern=r"^[0-9]{4}$", description="City code; all if absent"),
             db: Database = Depends(get_db)) -> list[BranchOut]:
    """Issuing branches (of one city, or of all) and what each offers today (public)."""
    zh = i18n.get_locale() == "zh_Hans"
    return [
        BranchOut(id=b.id, code=b.code, bank_code=b.bank_code, bank_name=b.bank_name_zh if zh else b.bank_name_en,
                  name=b.name, address=b.address, phone=b.phone, city_code=b.city_code,
                  instant_production=b.instant_production, immediate_replacement=b.immediate_replacement)
        for b in service.list_branches(db, city=city)
    ]
