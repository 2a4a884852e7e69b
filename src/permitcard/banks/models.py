"""Issuing banks and their branches. Capabilities are data, not code."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from permitcard.db import Base


class Bank(Base):
    __tablename__ = "bank"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    # Issuer identification prefix for the bank account numbers on its cards (card vendor data).
    bin_prefix: Mapped[str] = mapped_column(String(10))

    branches: Mapped[list[BankBranch]] = relationship(
        back_populates="bank", order_by=lambda: [BankBranch.is_main.desc(), BankBranch.name_en])


class BankBranch(Base):
    __tablename__ = "bank_branch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    address_en: Mapped[str] = mapped_column(String(500))
    address_zh: Mapped[str] = mapped_column(String(500))
    phone: Mapped[str] = mapped_column(String(40), default="")
    # policy_city.code: the city whose rules apply here (which branches make cards the same day
    # is one of them, with the date it takes effect).
    city_code: Mapped[str] = mapped_column(String(8), index=True)
    issues_cards: Mapped[bool] = mapped_column(Boolean, default=True)
    # The bank's main branch in its city: listed first among the bank's branches (``repository.ORDER``).
    is_main: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    bank: Mapped[Bank] = relationship(back_populates="branches", lazy="joined")
