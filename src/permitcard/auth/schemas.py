from __future__ import annotations

from pydantic import BaseModel, Field


class SignIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class SignUp(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    display_name: str = Field(default="", max_length=200)


class LinkPermit(BaseModel):
    family_name: str = Field(max_length=100)
    given_names: str = Field(default="", max_length=100)
    permit_number: str = Field(max_length=64)
    passport_number: str = Field(max_length=32)


class Me(BaseModel):
    id: int
    email: str
    display_name: str
    role: str
    employer_id: int | None
    branch_id: int | None
    permit_number: str | None
    csrf_token: str = ""
