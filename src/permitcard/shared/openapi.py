"""OpenAPI: every operation documents its error answers as problem+json."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel, Field

from permitcard.shared.schemas import ApiModel

DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed for this role, or the CSRF token is missing",
    404: "Not found (or not yours)",
    409: "Conflict: the record changed, or the action is not possible in its current state",
    422: "Invalid input or a business rule refuses it; `errors` names each field",
    429: "Too many attempts from this account or address: wait the seconds of the `Retry-After` header",
}


class FieldProblem(ApiModel):
    field: str
    message: str


class Problem(ApiModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblem] | None = None


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Document these error answers; 422 (malformed input) is always documented as problem+json."""
    codes = tuple(sorted(set(codes) | {422}))
    return {
        code: {
            "description": DESCRIPTIONS[code],
            "model": Problem,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


AFTER_DOC = ("Cursor: the page after the one that gave this value as `next_after` (keyset pagination; "
             "`page` is then only the number shown).")
BEFORE_DOC = "Cursor: the page before the one that gave this value as `prev_before`."


class PageMeta(ApiModel):
    """What every list answer says about its page (``shared.pagination.Page``)."""

    total: int
    total_exact: bool = True
    page: int
    per_page: int
    pages: int
    counts: dict[str, int]
    next_after: str | None = None
    prev_before: str | None = None
    search_capped: bool = Field(False, description=(
        "true: the search `q` matched more than 200 records; the items, `total` and `counts` are those among "
        "the 200 most recent of them (type more of the name, or a number, to find older ones)"))

    @staticmethod
    def fields_of(p: Any) -> dict[str, Any]:
        """``total`` stops at 10,001 on huge lists (``total_exact`` false); counts likewise."""
        return {"total": p.total, "total_exact": p.total_exact, "page": p.page, "per_page": p.per_page,
                "pages": p.pages, "counts": p.counts, "next_after": p.next_after, "prev_before": p.prev_before,
                "search_capped": p.search_capped}


def answer(model: BaseModel, *, status_code: int = 200) -> Response:
    """The JSON of a route's response model, serialised once by pydantic: what FastAPI answers for the
    route's ``response_model`` (which still documents it), without validating the model a second time
    and, for a ``def`` endpoint, without the thread-pool hop FastAPI takes for that. For hot routes."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
