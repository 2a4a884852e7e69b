"""Pure rules of social insurance registration (SPEC §3): the SSN plan and the registration states.

SSN plan (D, mirrors the 2023 permanent residence ID layout, GB 11643 check character)::

    9 | PP | NNN | YYYYMMDD | SSS | C
    ^   ^    ^     ^          ^     ^ ISO 7064 MOD 11-2 over the first 17 characters ('X' for 10)
    |   |    |     |          +------ sequence: odd for men, even for women
    |   |    |     +----------------- birth date
    |   |    +----------------------- ISO 3166 numeric code of the nationality
    |   +---------------------------- province code (configuration, 44 = Guangdong)
    +-------------------------------- foreigners' series

A person who presents a valid 2023 permanent residence ID keeps that number as their SSN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pycountry

from permitcard.shared import labels
from permitcard.shared.errors import N_, RuleViolation
from permitcard.shared.ids import mod11_2_check
from permitcard.shared.state import Machine

SSN_LENGTH = 18
PREFIX_LENGTH = 14  # "9" + province(2) + nationality(3) + birth date(8)
MAX_SEQUENCE = 999
_SSN_RE = re.compile(r"^9\d{16}[\dX]$")
# Province-level codes of GB/T 2260 (the first two digits of any PRC identity number).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})

MALE, FEMALE = "M", "F"


class SequenceExhausted(RuleViolation):
    code = "ssn_sequence_exhausted"
    title = N_(
        "No social security number is left for this nationality, birth date and sex. "
        "Contact the social insurance agency."
    )


def nationality_numeric(nationality: str) -> str:
    """ISO 3166 numeric code (3 digits) from an alpha-2, alpha-3 or numeric code."""
    code = nationality.strip().upper()
    country = None
    if code.isdigit():
        country = pycountry.countries.get(numeric=code.zfill(3))
    elif len(code) == 2:
        country = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise ValueError(f"unknown ISO 3166 country {nationality!r}")
    return str(country.numeric)


def ssn_prefix(*, province_code: str, nationality: str, birth_date: date) -> str:
    """The first 14 characters: everything but the sequence and the check character."""
    if province_code not in PROVINCE_CODES:
        raise ValueError(f"not a province code: {province_code!r}")
    return "9" + province_code + nationality_numeric(nationality) + birth_date.strftime("%Y%m%d")


def ssn_for_sequence(prefix: str, seq: int) -> str:
    """The complete SSN for a prefix and a 3-digit sequence, with its check character."""
    if len(prefix) != PREFIX_LENGTH or not prefix.isdigit():
        raise ValueError(f"not an SSN prefix: {prefix!r}")
    if not 1 <= seq <= MAX_SEQUENCE:
        raise ValueError(f"sequence out of range: {seq}")
    body = f"{prefix}{seq:03d}"
    return body + mod11_2_check(body)


def sequence_parity(sex: str) -> int:
    """1 (odd) for men, 0 (even) for women."""
    if sex == MALE:
        return 1
    if sex == FEMALE:
        return 0
    raise ValueError(f"sex must be 'M' or 'F', not {sex!r}")


def next_sequence(last: int | None, sex: str) -> int:
    """The sequence after ``last`` (the last one given to this prefix and parity; None: none yet).

    Men get 001, 003, ... 999; women 002, 004, ... 998 (000 is never used).
    """
    parity = sequence_parity(sex)
    if last is None or last <= 0:
        candidate = 1 if parity else 2
    else:
        if last % 2 != parity:
            raise ValueError(f"last sequence {last} has the wrong parity for sex {sex!r}")
        candidate = last + 2
    if candidate > MAX_SEQUENCE:
        raise SequenceExhausted()
    return candidate


@dataclass(frozen=True)
class SsnParts:
    province_code: str
    nationality_numeric: str
    birth_date: date
    sequence: int
    check: str

    @property
    def sex(self) -> str:
        return MALE if self.sequence % 2 else FEMALE


def normalise_ssn(raw: str) -> str:
    return re.sub(r"[\s-]+", "", raw or "").upper()


def parse_ssn(value: str) -> SsnParts | None:
    """The parts of a well-formed SSN / 2023 permanent residence ID, or None if it is not one."""
    s = normalise_ssn(value)
    if len(s) != SSN_LENGTH or not _SSN_RE.match(s):
        return None
    if s[1:3] not in PROVINCE_CODES:
        return None
    if pycountry.countries.get(numeric=s[3:6]) is None:
        return None
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None
    if born.year < 1900:
        return None
    sequence = int(s[14:17])
    if sequence == 0 or mod11_2_check(s[:17]) != s[17]:
        return None
    return SsnParts(s[1:3], s[3:6], born, sequence, s[17])


def is_valid_ssn(value: str) -> bool:
    return parse_ssn(value) is not None


def is_valid_permanent_residence_id(value: str) -> bool:
    """A 2023 permanent residence ID has the same layout (series 9, any province)."""
    return is_valid_ssn(value)


def permanent_residence_id_problem(value: str, *, nationality: str, birth_date: date, sex: str) -> str | None:
    """None if ``value`` is a valid permanent residence ID of this person, else a message id."""
    parts = parse_ssn(value)
    if parts is None:
        return N_(
            "Enter the permanent residence ID number exactly as on the card: 18 characters starting with 9"
        )
    try:
        numeric = nationality_numeric(nationality)
    except ValueError:
        numeric = ""
    if parts.nationality_numeric != numeric or parts.birth_date != birth_date or parts.sex != sex:
        return N_(
            "This permanent residence ID does not match the nationality, birth date or sex on the work permit"
        )
    return None


# --- registration states ---------------------------------------------------------------------

SUBMITTED, REGISTERED, REFUSED = "submitted", "registered", "refused"
STATES = (SUBMITTED, REGISTERED, REFUSED)
CHANNELS = ("employer", "individual", "agency")
CREDENTIALS = ("notice", "ecard")

TRANSITIONS: dict[tuple[str, str], str] = {
    (SUBMITTED, "register"): REGISTERED,
    (SUBMITTED, "refuse"): REFUSED,
}

STATE_LABELS = {
    SUBMITTED: N_("Submitted"),
    REGISTERED: N_("Registered"),
    REFUSED: N_("Refused"),
}
CHANNEL_LABELS = {
    "employer": N_("Employer"),
    "individual": N_("Individual"),
    "agency": N_("Agency counter"),
}
CREDENTIAL_LABELS = {
    "notice": N_("Foreign Work Permit Notice"),
    "ecard": N_("Electronic social security card"),
}
labels.register("insurance_state", STATE_LABELS)
labels.register("insurance_channel", CHANNEL_LABELS)
labels.register("credential", CREDENTIAL_LABELS)


REGISTRATION = Machine(name="insurance_registration", transitions=TRANSITIONS,
                       verbs={"register": REGISTERED, "refuse": REFUSED})


def channel_for_role(role: str) -> str | None:
    return {"employer": "employer", "applicant": "individual", "agency_clerk": "agency"}.get(role)
