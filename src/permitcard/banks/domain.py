"""Branch facts other contexts may rely on (a plain value, not the ORM row).

Same-day production and immediate replacement are rules of the branch's city for the day
(``policy``), so a value is built for one day."""

from __future__ import annotations

from dataclasses import dataclass

from permitcard.shared import i18n


@dataclass(frozen=True)
class Branch:
    id: int
    code: str
    bank_code: str
    bank_name_en: str
    bank_name_zh: str
    name_en: str
    name_zh: str
    address_en: str
    address_zh: str
    phone: str
    city_code: str
    bin_prefix: str
    instant_production: bool
    immediate_replacement: bool
    issues_cards: bool
    is_main: bool = False

    @property
    def name(self) -> str:
        zh = i18n.get_locale() == "zh_Hans"
        return f"{self.bank_name_zh}{self.name_zh}" if zh else f"{self.bank_name_en}, {self.name_en}"

    @property
    def address(self) -> str:
        return self.address_zh if i18n.get_locale() == "zh_Hans" else self.address_en
