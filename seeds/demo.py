"""Demo data for `make run`: residents in several districts and staff of every role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Role, User
from webapp.services import accounts

DEMO_PASSWORD = "Green-Dezhou-2026"

ACCOUNTS = [
    (Role.RESIDENT, "13800000001", "小绿", "371402"),
    (Role.RESIDENT, "13800000002", "骑行达人", "371482"),
    (Role.RESIDENT, "resident3@demo.dezhou.example", "Walker", "371481"),
    (Role.MERCHANT, "merchant@demo.dezhou.example", "绿色超市店员", None),
    (Role.PUBLICITY, "publicity@demo.dezhou.example", "宣传部", None),
    (Role.OFFICIAL, "official@demo.dezhou.example", "市发改委", None),
    (Role.ADMIN, "admin@demo.dezhou.example", "管理员", None),
]


def load(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet; returns (role, login, nickname) for all."""
    shown = []
    for role, login, nickname, district in ACCOUNTS:
        column = User.email if "@" in login else User.phone
        if session.scalar(select(User).where(column == login)) is None:
            accounts.create_user(
                session, None, role=role, login=login, password=DEMO_PASSWORD, nickname=nickname,
                district=district,
            )
        shown.append((str(role), login, nickname))
    return shown
