"""Reading the audit log: admins only, filtered by actor, action prefix, target and city days; newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models import AuditEvent, Role, User

from ..errors import Forbidden, Invalid
from ..messages import N_
from .city import city_zone
from .methodology import day_start


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None  # a prefix: "campaign." matches every campaign change
    target_type: str | None = None
    target_id: int | None = None
    first: dt.date | None = None  # city days, both included
    last: dt.date | None = None

    @classmethod
    def from_args(cls, args: dict) -> AuditFilter:
        """The filter from the query arguments the API and the page share (actor, action, target, days)."""
        return cls(
            actor_id=args["actor"],
            action=args["action"],
            target_type=args["target_type"],
            target_id=args["target_id"],
            first=args["first"],
            last=args["last"],
        )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def statement(session: Session, chosen: AuditFilter) -> Select:
    """The events matching every given filter; a first day after the last is a 422 on `from`."""
    if chosen.first and chosen.last and chosen.first > chosen.last:
        raise Invalid.field("from", N_("The first day must not be after the last day."))
    stmt = select(AuditEvent)
    if chosen.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == chosen.actor_id)
    if chosen.action:
        stmt = stmt.where(AuditEvent.action.like(_escape_like(chosen.action) + "%", escape="\\"))
    if chosen.target_type:
        stmt = stmt.where(AuditEvent.target_type == chosen.target_type)
    if chosen.target_id is not None:
        stmt = stmt.where(AuditEvent.target_id == chosen.target_id)
    zone = city_zone(session) if chosen.first or chosen.last else None
    if chosen.first:
        stmt = stmt.where(AuditEvent.created_at >= day_start(chosen.first, zone))
    if chosen.last:
        stmt = stmt.where(AuditEvent.created_at < day_start(chosen.last + dt.timedelta(days=1), zone))
    return stmt


def page(
    session: Session, actor: User, chosen: AuditFilter, limit: int, before_id: int | None = None
) -> tuple[list[AuditEvent], bool]:
    """One page of events, newest first, and whether more follow."""
    if actor.role != Role.ADMIN:
        raise Forbidden(N_("Only an administrator can read the audit log."))
    stmt = statement(session, chosen)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    rows = list(session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def actor_names(session: Session, events: list[AuditEvent]) -> dict[int, str]:
    ids = {e.actor_id for e in events if e.actor_id is not None}
    if not ids:
        return {}
    return {row.id: row.nickname for row in session.execute(select(User.id, User.nickname).where(User.id.in_(ids)))}
