"""A resident's member code: random, stable, shown as a QR code that merchant staff scan."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User

# Crockford-style alphabet: no 0/O, 1/I/L, U; easy to read aloud and type.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def member_code(session: Session, user: User) -> str:
    if user.member_code is None:
        user.member_code = "M-" + random_code(12)  # 12 × log2(30) ≈ 59 bits
        session.flush()
    return user.member_code


def user_by_member_code(session: Session, code: str) -> User | None:
    return session.scalar(select(User).where(User.member_code == code.strip().upper(), User.deleted_at.is_(None)))
