from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.auth.deps import get_db, optional_user
from permitcard.banks import service
from permitcard.db import Database
from permitcard.shared.web import render

router = APIRouter(include_in_schema=False)


def geo_uri(address: str) -> str:
    """RFC 5870 geo URI with a query: map apps open it as an address search."""
    return "geo:0,0?q=" + quote(address)


@router.get("/branches", response_class=HTMLResponse)
def branches(request: Request, db: Database = Depends(get_db), _u: object = Depends(optional_user)) -> Response:
    return render(request, "banks/branches.html", {"branches": service.list_branches(db), "geo_uri": geo_uri})
