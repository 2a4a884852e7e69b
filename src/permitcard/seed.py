"""Demo data: the default city and its rules, banks and branches (from CSV), an accredited photo
studio, two approved employers and one account per role, all made through the same services a
real city uses: the administrator as ``permitcard users create-admin`` makes it, staff by
invitation, employers by registering and being approved by the permit officer.

Staff sign in with a second factor: here it is set up with a fixed secret printed beside the
password (demo only; in production each person sets up their own by QR code and nobody is
enrolled by the system). Only ``permitcard seed-demo`` (which ``make run`` uses) calls this.
Running it again changes nothing that exists.

``seed_city`` (``permitcard city add``) adds a city from its data file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from permitcard.admin import service as admin_service
from permitcard.auth import repository as auth_repo
from permitcard.auth import service as auth
from permitcard.auth.domain import Role
from permitcard.banks import repository as bank_repo
from permitcard.banks import service as banks
from permitcard.db import Database
from permitcard.photos import studios
from permitcard.policy import service as policy
from permitcard.shared.audit import Actor

DEMO_EMPLOYER = {
    "uscc": "91441900MA51ABCD10",
    "name_en": "Dongguan Demo Precision Manufacturing Co., Ltd.",
    "name_zh": "东莞示范精密制造有限公司",
    "address": "8 Songshan Lake Avenue, Dongguan",
    "contact_phone": "+86 769 2200 0001",
}
OTHER_EMPLOYER = {
    "uscc": "91441900MA52P8K3XM",
    "name_en": "Pearl River Demo Trading Co., Ltd.",
    "name_zh": "珠江示范贸易有限公司",
    "address": "19 Dongguan Avenue, Dongguan",
    "contact_phone": "+86 769 2200 0002",
}
DEMO_STUDIO = {"name": "Sunshine Photo Studio", "address": "3 Hongfu Road, Nancheng, Dongguan",
               "from": date(2024, 1, 1), "to": date(2030, 12, 31)}

# (role, e-mail, password, display name, employer key, branch code, TOTP secret or "")
DEMO_USERS: list[tuple[Role, str, str, str, str | None, str | None, str]] = [
    (Role.ADMIN, "admin@example.com", "demo-admin-pass", "Administrator", None, None,
     "ADMINDEMOTOTPSECRETPERMITCARDAAA"),
    (Role.APPLICANT, "worker@example.com", "demo-worker-pass", "Maria Garcia Lopez", None, None, ""),
    (Role.EMPLOYER, "hr@example.com", "demo-employer-pass", "Li Na (HR)", "demo", None, ""),
    (Role.EMPLOYER, "hr2@example.com", "demo-employer2-pass", "Chen Jie (HR)", "other", None, ""),
    (Role.PERMIT_OFFICER, "officer@example.com", "demo-officer-pass", "Wang Fang", None, None,
     "OFFICERDEMOTOTPSECRETPERMITCARDA"),
    (Role.AGENCY_CLERK, "agency@example.com", "demo-agency-pass", "Zhang Wei", None, None,
     "AGENCYDEMOTOTPSECRETPERMITCARDAA"),
    (Role.BANK_CLERK, "clerk.cgb@example.com", "demo-clerk-pass", "Huang Min (Guangfa main)", None, "CGB-DG-MAIN",
     "CLERKCGBDEMOTOTPSECRETPERMITCARD"),
    (Role.BANK_CLERK, "clerk.ccb@example.com", "demo-clerk2-pass", "Liu Yang (CCB Dongguan)", None,
     "CCB-DG-BRANCH", "CLERKCCBDEMOTOTPSECRETPERMITCARD"),
    (Role.PHOTO_STUDIO, "studio@example.com", "demo-studio-pass", "Sunshine Photo Studio", None, None,
     "STUDIODEMOTOTPSECRETPERMITCARDAA"),
    (Role.AUDITOR, "auditor@example.com", "demo-auditor-pass", "Zhou Qiang", None, None,
     "AUDITORDEMOTOTPSECRETPERMITCARDA"),
]


def seed_city(db: Database, path: Path, *, actor: Actor | None = None) -> policy.City:
    """A city from its data file (``policy/data/dongguan.toml`` shows the format): its names, its
    rules from their first date, and its banks and branches from the CSV files the file names."""
    actor = actor or Actor.system("city-add")
    spec = policy.load_city_file(path)
    with db.uow() as s:
        city = policy.seed_city(s, spec=spec, actor=actor)
        if spec.branches_csv is not None:
            banks.seed_from_csv(s, actor=actor, banks_csv=spec.banks_csv, branches_csv=spec.branches_csv)
        s.commit()
        return city


def demo_secret(email: str) -> str:
    """The demo TOTP secret of a seeded account ('' when it has none)."""
    return next((row[6] for row in DEMO_USERS if row[1] == email), "")


def _actor(db: Database, email: str) -> Actor:
    with db.uow(write=False) as s:
        user = auth_repo.user_by_email(s, email)
        assert user is not None
        return Actor(user.id, user.role, user.email)


def _exists(db: Database, email: str) -> bool:
    with db.uow(write=False) as s:
        return auth_repo.user_by_email(s, email) is not None


def _enrol(db: Database, email: str, secret: str) -> None:
    with db.uow() as s:
        user = auth_repo.user_by_email(s, email)
        assert user is not None
        if user.totp_confirmed_at is None:
            auth.second_factor.enrol_with_secret(s, user=user, secret=secret, actor=Actor.system("seed-demo"))
            s.commit()


def _studio(db: Database, admin: Actor) -> int:
    for studio in studios.list_studios(db):
        if studio.name == DEMO_STUDIO["name"]:
            return studio.id
    start, end = DEMO_STUDIO["from"], DEMO_STUDIO["to"]
    assert isinstance(start, date) and isinstance(end, date)
    values = {"name": str(DEMO_STUDIO["name"]), "address": str(DEMO_STUDIO["address"])}
    for prefix, day in (("accredited_from", start), ("accredited_to", end)):
        values.update({f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
                       f"{prefix}-year": str(day.year)})
    return studios.save_studio(db, actor=admin, values=values).id


def seed_demo(db: Database) -> list[tuple[str, str, str, str]]:
    system = Actor.system("seed-demo")
    seed_city(db, policy.DEFAULT_CITY_FILE, actor=system)
    with db.uow() as s:
        banks.seed_from_csv(s, actor=system)
        s.commit()
    role, admin_email, admin_password, admin_name, _e, _b, admin_secret = DEMO_USERS[0]
    if not _exists(db, admin_email):  # as `permitcard users create-admin` does
        with db.uow() as s:
            auth.create_user(s, email=admin_email, password=admin_password, role=role, display_name=admin_name,
                             actor=system)
            s.commit()
    _enrol(db, admin_email, admin_secret)
    admin = _actor(db, admin_email)
    studio_id = _studio(db, admin)
    for role, email, password, name, _employer, branch_code, secret in DEMO_USERS[1:]:
        if _exists(db, email) or role == Role.EMPLOYER:
            continue
        if role == Role.APPLICANT:
            auth.sign_up(db, email=email, password=password, display_name=name)
            continue
        with db.uow(write=False) as s:
            branch = bank_repo.branch_by_code(s, branch_code) if branch_code else None
        invitation = admin_service.invite_staff(db, actor=admin, email=email, display_name=name, role=role.value,
                                                   branch_id=branch.id if branch else None, studio_id=studio_id)
        token, _user, _stage = auth.invitations.accept(db, token=invitation.link_token, password=password)
        auth.sign_out(db, token=token)
        _enrol(db, email, secret)
    officer = _actor(db, "officer@example.com")
    for role, email, password, name, employer_key, _b, _secret in DEMO_USERS:
        if role != Role.EMPLOYER or _exists(db, email):
            continue
        data = dict(DEMO_EMPLOYER if employer_key == "demo" else OTHER_EMPLOYER)
        token, _user, employer = auth.registration.register_at_once(db, data={**data, "contact_name": name},
                                                                  email=email, password=password)
        auth.sign_out(db, token=token)
        auth.employers.review(db, actor=officer, employer_id=employer.id, version=employer.version, action="approve")
    return [(r.value, email, password, secret) for r, email, password, _n, _e, _b, secret in DEMO_USERS]
