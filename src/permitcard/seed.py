"""Demo data: banks and branches (from CSV), a demo employer, one account per role.

Only ``permitcard seed-demo`` (which ``make run`` uses) calls this; a production start creates no
account. Running it again changes nothing that exists.
"""

from __future__ import annotations

from permitcard.auth import repository as auth_repo
from permitcard.auth.domain import Role
from permitcard.auth.service import create_employer, create_user
from permitcard.banks import repository as bank_repo
from permitcard.banks import service as banks
from permitcard.db import Database
from permitcard.shared.audit import Actor

DEMO_EMPLOYER = {
    "uscc": "91441900MA51ABCD10",
    "name_en": "Dongguan Demo Precision Manufacturing Co., Ltd.",
    "name_zh": "东莞示范精密制造有限公司",
    "address": "8 Songshan Lake Avenue, Dongguan",
}
OTHER_EMPLOYER = {
    "uscc": "91441900MA52P8K3XM",
    "name_en": "Pearl River Demo Trading Co., Ltd.",
    "name_zh": "珠江示范贸易有限公司",
    "address": "19 Dongguan Avenue, Dongguan",
}

# (role, e-mail, password, display name, employer key, branch code)
DEMO_USERS: list[tuple[Role, str, str, str, str | None, str | None]] = [
    (Role.APPLICANT, "worker@example.com", "demo-worker-pass", "Maria Garcia Lopez", None, None),
    (Role.EMPLOYER, "hr@example.com", "demo-employer-pass", "Li Na (HR)", "demo", None),
    (Role.EMPLOYER, "hr2@example.com", "demo-employer2-pass", "Chen Jie (HR)", "other", None),
    (Role.PERMIT_OFFICER, "officer@example.com", "demo-officer-pass", "Wang Fang", None, None),
    (Role.AGENCY_CLERK, "agency@example.com", "demo-agency-pass", "Zhang Wei", None, None),
    (Role.BANK_CLERK, "clerk.cgb@example.com", "demo-clerk-pass", "Huang Min (Guangfa main)", None, "CGB-DG-MAIN"),
    (Role.BANK_CLERK, "clerk.ccb@example.com", "demo-clerk2-pass", "Liu Yang (CCB Dongguan)", None,
     "CCB-DG-BRANCH"),
    (Role.PHOTO_STUDIO, "studio@example.com", "demo-studio-pass", "Sunshine Photo Studio", None, None),
    (Role.AUDITOR, "auditor@example.com", "demo-auditor-pass", "Zhou Qiang", None, None),
    (Role.ADMIN, "admin@example.com", "demo-admin-pass", "Administrator", None, None),
]


def seed_demo(db: Database) -> list[tuple[str, str, str]]:
    actor = Actor.system("seed-demo")
    with db.uow() as s:
        banks.seed_from_csv(s, actor=actor)
        employers = {}
        for key, data in (("demo", DEMO_EMPLOYER), ("other", OTHER_EMPLOYER)):
            employer = auth_repo.employer_by_uscc(s, data["uscc"])
            if employer is None:
                employer = create_employer(s, actor=actor, **data)
            employers[key] = employer.id
        rows = []
        for role, email, password, name, employer_key, branch_code in DEMO_USERS:
            if auth_repo.user_by_email(s, email) is None:
                branch = bank_repo.branch_by_code(s, branch_code) if branch_code else None
                create_user(s, email=email, password=password, role=role, display_name=name, actor=actor,
                            employer_id=employers[employer_key] if employer_key else None,
                            branch_id=branch.id if branch else None)
            rows.append((role.value, email, password))
        s.commit()
    return rows
