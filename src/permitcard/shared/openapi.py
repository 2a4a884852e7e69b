"""OpenAPI: every operation documents its error answers as problem+json."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed for this role, or the CSRF token is missing",
    404: "Not found (or not yours)",
    409: "Conflict: the record changed, or the action is not possible in its current state",
    422: "Invalid input or a business rule refuses it; `errors` names each field",
}


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
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
