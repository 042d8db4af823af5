"""Green families: a resident founds a household team, others join by its invite code (typed or from
a QR code), members leave, the founder hands over. At most 8 members, also under parallel joins:
the family row's `member_count` moves only by guarded UPDATEs, and a resident is in one family at most.

A family's totals are the CO2e its members avoided while they were members (kept by services.boards);
when the last member leaves the family is dissolved and leaves the team board.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Board, BoardScore, FamilyMember, GreenFamily, Role, User, utcnow
from models.families import MAX_MEMBERS

from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..messages import N_
from . import accounts, boards
from .city import city_zone
from .members import random_code

CODE_LENGTH = 8  # 8 × log2(30) ≈ 39 bits; joining is rate-limited


def family_of(session: Session, user: User) -> GreenFamily | None:
    return session.scalar(
        select(GreenFamily)
        .join(FamilyMember, FamilyMember.family_id == GreenFamily.id)
        .where(FamilyMember.user_id == user.id)
    )


def members_of(session: Session, family: GreenFamily) -> list[tuple[FamilyMember, User]]:
    """Members in the order they joined."""
    return list(
        session.execute(
            select(FamilyMember, User)
            .join(User, User.id == FamilyMember.user_id)
            .where(FamilyMember.family_id == family.id)
            .order_by(FamilyMember.joined_at, FamilyMember.id)
        ).all()
    )


def normalise_code(code: str) -> str:
    """Accept "f-abcd 2345", "ABCD2345" and the like."""
    code = re.sub(r"[\s-]", "", (code or "").upper())
    return code[1:] if len(code) == CODE_LENGTH + 1 and code.startswith("F") else code


def display_code(code: str | None) -> str:
    return f"F-{code[:4]}-{code[4:]}" if code else ""


def _check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 40:
        raise Invalid.field("name", N_("A family name has 1 to 40 characters."))
    return name


def _require_resident(user: User) -> None:
    if user.role != Role.RESIDENT or user.deleted_at is not None:
        raise Forbidden(N_("Only residents form green families."))


def _not_in_a_family(session: Session, user: User) -> None:
    if family_of(session, user) is not None:
        raise Conflict(N_("You are already in a green family; leave it first."))


def create(session: Session, user: User, name: str) -> GreenFamily:
    """Found a family; the founder is its first member."""
    _require_resident(user)
    name = _check_name(name)
    _not_in_a_family(session, user)
    family = GreenFamily(name=name, founder_id=user.id, invite_code=random_code(CODE_LENGTH), member_count=0)
    session.add(family)
    session.flush()
    _add_member(session, family, user)
    accounts.audit(session, user, "family.created", family, name=name)
    return family


def _add_member(session: Session, family: GreenFamily, user: User) -> None:
    """Take a place (refused when all 8 are taken) and the membership, together or not at all."""
    try:
        with session.begin_nested():
            taken = session.execute(
                update(GreenFamily)
                .where(
                    GreenFamily.id == family.id,
                    GreenFamily.dissolved_at.is_(None),
                    GreenFamily.member_count < MAX_MEMBERS,
                )
                .values(member_count=GreenFamily.member_count + 1)
                .returning(GreenFamily.id)
            ).scalar()
            if taken is None:
                raise Conflict(N_("This family already has 8 members."))
            session.add(FamilyMember(family_id=family.id, user_id=user.id, joined_at=utcnow()))
            session.flush()
    except IntegrityError:
        raise Conflict(N_("You are already in a green family; leave it first.")) from None
    session.refresh(family)


def by_code(session: Session, code: str) -> GreenFamily:
    family = session.scalar(
        select(GreenFamily).where(GreenFamily.invite_code == normalise_code(code), GreenFamily.dissolved_at.is_(None))
    )
    if family is None:
        raise NotFound(N_("No family has this invite code."))
    return family


def join(session: Session, user: User, code: str) -> GreenFamily:
    _require_resident(user)
    family = by_code(session, code)
    _not_in_a_family(session, user)
    _add_member(session, family, user)
    accounts.audit(session, user, "family.joined", family)
    return family


def leave(session: Session, user: User) -> None:
    """Leave; a leaving founder hands over to the longest-standing member; the last one dissolves it."""
    membership = session.scalar(select(FamilyMember).where(FamilyMember.user_id == user.id))
    if membership is None:
        raise NotFound(N_("You are not in a green family."))
    family = session.get(GreenFamily, membership.family_id)
    session.execute(
        update(GreenFamily)
        .where(GreenFamily.id == family.id)  # also locks the family row
        .values(member_count=GreenFamily.member_count - 1)
    )
    session.delete(membership)
    session.flush()
    session.refresh(family)
    remaining = members_of(session, family)
    if family.founder_id == user.id:
        family.founder_id = remaining[0][1].id if remaining else None
    if not remaining:
        family.dissolved_at = utcnow()
        family.invite_code = None
        boards.set_listed(session, Board.TEAM, family.id, False)
    session.flush()
    accounts.audit(session, user, "family.left", family)


def _founded_family(session: Session, founder: User) -> GreenFamily:
    family = family_of(session, founder)
    if family is None:
        raise NotFound(N_("You are not in a green family."))
    if family.founder_id != founder.id:
        raise Forbidden(N_("Only the family's founder can do this."))
    return family


def hand_over(session: Session, founder: User, member_id: int) -> GreenFamily:
    """The founder passes the role to another current member."""
    family = _founded_family(session, founder)
    if member_id == founder.id or member_id not in {u.id for _m, u in members_of(session, family)}:
        raise Invalid.field("member", N_("Choose another member of your family."))
    family.founder_id = member_id
    session.flush()
    accounts.audit(session, founder, "family.handed_over", family, to=member_id)
    return family


def new_code(session: Session, founder: User) -> GreenFamily:
    """A fresh invite code; the old one stops working (e.g. after it was shared too widely)."""
    family = _founded_family(session, founder)
    family.invite_code = random_code(CODE_LENGTH)
    session.flush()
    accounts.audit(session, founder, "family.code_renewed", family)
    return family


def rename(session: Session, founder: User, name: str) -> GreenFamily:
    family = _founded_family(session, founder)
    family.name = _check_name(name)
    session.flush()
    return family


def totals(session: Session, family: GreenFamily, now: dt.datetime | None = None) -> dict[str, int]:
    """CO2e grams the members avoided while members: this city week, month and in all."""
    today = (now or utcnow()).astimezone(city_zone(session)).date()
    keys = {kind: boards.period_key(kind, today) for kind in ("week", "month", "all")}
    values = dict(
        session.execute(
            select(BoardScore.period, BoardScore.value).where(
                BoardScore.board == Board.TEAM.value,
                BoardScore.subject_id == family.id,
                BoardScore.period.in_(keys.values()),
            )
        ).all()
    )
    return {kind: int(values.get(key, 0)) for kind, key in keys.items()}


def overview(session: Session, user: User, now: dt.datetime | None = None) -> dict:
    """The caller's family as its members see it (404 when the caller has none)."""
    family = family_of(session, user)
    if family is None:
        raise NotFound(N_("You are not in a green family."))
    return {
        "family": family,
        "members": members_of(session, family),
        "is_founder": family.founder_id == user.id,
        "max_members": MAX_MEMBERS,
        "totals": totals(session, family, now),
    }


def forget(session: Session, user: User) -> None:
    """On erasure: leave the family (handing over or dissolving as usual)."""
    if family_of(session, user) is not None:
        leave(session, user)


def export_for(session: Session, user: User) -> dict | None:
    family = family_of(session, user)
    if family is None:
        return None
    membership = session.scalar(select(FamilyMember).where(FamilyMember.user_id == user.id))
    return {
        "family": family.name,
        "founder": family.founder_id == user.id,
        "joined_at": membership.joined_at.isoformat(),
        "members": family.member_count,
    }
