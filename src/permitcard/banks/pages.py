from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from permitcard.auth.deps import get_db, optional_user
from permitcard.banks import service
from permitcard.db import Database
from permitcard.policy import views as policy_views
from permitcard.shared.routes import Routes
from permitcard.shared.web import render

router = Routes(include_in_schema=False)


def geo_uri(address: str) -> str:
    """RFC 5870 geo URI with a query: map apps open it as an address search."""
    return "geo:0,0?q=" + quote(address)


@router.get("/branches", response_class=HTMLResponse)
def branches(request: Request, city: str = Query(default="", max_length=8), db: Database = Depends(get_db),
             _u: object = Depends(optional_user)) -> Response:
    """The issuing branches of one city (default: the default city), with links to the other cities."""
    cities = policy_views.all_cities(db)
    chosen = next((c for c in cities if c.code == city), None) or next((c for c in cities if c.is_default), None)
    found = service.list_branches(db, city=chosen.code) if chosen else []
    return render(request, "banks/branches.html", {"branches": found, "geo_uri": geo_uri, "city": chosen,
                                                   "cities": cities})
