"""Leaderboard aggregates, kept by the projector's fold so that reading a board never scans actions.

Rules kept here:
- Only credited actions count (folded after crediting; pending, duplicate and rejected never do),
  by CO2e grams (never credits), in the period of the city day the action happened.
- `board_buckets` counts exactly the listed rows of `board_scores` per value bucket (opt-out, erasure
  and dissolved families are unlisted), so a rank is a bucket sum plus a count inside one bucket.
- Contended rows are written in one fixed order so that concurrent transactions cannot deadlock:
  resident and team rows, then district rows, then buckets, each table in key order.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session

from models import Action, ActionStatus, Board, BoardBucket, BoardScore, FamilyMember, GameProfile, User

from .statistics.sql import upsert

ALL = "all"


def week_key(day: dt.date) -> str:
    """City weeks start on Monday."""
    return "w" + (day - dt.timedelta(days=day.weekday())).isoformat()


def month_key(day: dt.date) -> str:
    return f"m{day.year:04d}-{day.month:02d}"


def period_key(kind: str, day: dt.date) -> str:
    return {"week": week_key, "month": month_key}.get(kind, lambda _d: ALL)(day)


def period_keys(day: dt.date) -> list[str]:
    return sorted([ALL, month_key(day), week_key(day)])


def bucket(value: int) -> int:
    """The lower bound of the value's bucket: exact below 1000 g, three significant digits above."""
    step = 10 ** max(0, len(str(value)) - 3)
    return value - value % step


def bucket_end(start: int) -> int:
    return start + 10 ** max(0, len(str(start)) - 3)


@dataclass(frozen=True)
class Added:
    value: int  # the new total
    was_new: bool  # the subject's first row in this period
    listed: bool


Row = tuple[str, str, int]  # (board, period, subject)


def add_scores(session: Session, rows: dict[Row, dict]) -> dict[Row, Added]:
    """Add each row's grams to its board row (created when missing, with `listed`), one statement for
    all of them, in key order; returns the new totals."""
    if not rows:
        return {}
    params = [
        {"board": b, "period": p, "subject_id": s, "members": 0, "listed": True, **rows[(b, p, s)]}
        for b, p, s in sorted(rows)
    ]
    got = upsert(
        session,
        BoardScore.__table__,
        params,
        ("board", "period", "subject_id"),
        add=("value", "members"),
        latest=("reached_at",),
        returning=("board", "period", "subject_id", "value", "listed"),
    )
    out = {}
    for r in got:
        key = (r.board, r.period, r.subject_id)
        out[key] = Added(int(r.value), int(r.value) == rows[key]["value"], bool(r.listed))
    return out


def moves(added: dict[Row, Added], grams: dict[Row, int]) -> dict[tuple[str, str, int], int]:
    """Bucket deltas for listed rows whose value moved from value - grams to value (the moves of the
    single additions in between cancel out)."""
    deltas: dict[tuple[str, str, int], int] = defaultdict(int)
    for (board, period, _subject), row in added.items():
        if not row.listed:
            continue
        new = bucket(row.value)
        if row.was_new:
            deltas[(board, period, new)] += 1
        else:
            old = bucket(row.value - grams[(board, period, _subject)])
            if old != new:
                deltas[(board, period, old)] -= 1
                deltas[(board, period, new)] += 1
    return deltas


def add_districts(session: Session, rows: dict[Row, dict]) -> None:
    """Add to district rows (value, members; latest reached_at), one statement in key order."""
    upsert(
        session,
        BoardScore.__table__,
        [{"board": b, "period": p, "subject_id": s, "listed": True, **v} for (b, p, s), v in rows.items()],
        ("board", "period", "subject_id"),
        add=("value", "members"),
        latest=("reached_at",),
    )


def apply_buckets(session: Session, deltas: dict[tuple[str, str, int], int]) -> None:
    """Move bucket counts, one statement in key order (so concurrent writers never deadlock)."""
    upsert(
        session,
        BoardBucket.__table__,
        [{"board": b, "period": p, "bucket": k, "n": n} for (b, p, k), n in deltas.items() if n],
        ("board", "period", "bucket"),
        add=("n",),
    )


def set_listed(session: Session, board: Board, subject_id: int, listed: bool) -> int:
    """List or unlist every period row of one subject, moving the bucket counts with them."""
    rows = session.execute(
        update(BoardScore)
        .where(BoardScore.board == board.value, BoardScore.subject_id == subject_id, BoardScore.listed.is_not(listed))
        .values(listed=listed)
        .returning(BoardScore.period, BoardScore.value)
    ).all()
    step = 1 if listed else -1
    apply_buckets(session, {(board.value, r.period, bucket(int(r.value))): step for r in rows})
    return len(rows)


# --- recomputation from the actions (repair, verification, bulk loads) -------------------------------

Key = tuple[str, str, int]


def recompute(session: Session) -> tuple[dict[Key, list], dict[Key, int]]:
    """Scores {(board, period, subject): [value, members, listed]} and bucket counts, from actions.

    Family rows count a member's actions made after joining (past members are not known any more)."""
    scores: dict[Key, list] = {}
    seen: set[tuple[int, str]] = set()
    hidden = set(session.scalars(select(GameProfile.user_id).where(GameProfile.hidden_from_boards.is_(True))))
    hidden |= set(session.scalars(select(User.id).where(User.deleted_at.is_not(None))))
    credited = and_(Action.status == ActionStatus.CREDITED, Action.co2e_grams > 0)
    per_day = session.execute(
        select(Action.user_id, Action.district_id, Action.local_day, func.sum(Action.co2e_grams))
        .where(credited)
        .group_by(Action.user_id, Action.district_id, Action.local_day)
    )
    for user_id, district_id, day, grams in per_day:
        for period in period_keys(day):
            _bump(scores, (Board.RESIDENT.value, period, user_id), int(grams), user_id not in hidden)
            if district_id is not None:
                row = _bump(scores, (Board.DISTRICT.value, period, district_id), int(grams), True)
                if (user_id, period) not in seen:
                    row[1] += 1
            seen.add((user_id, period))
    per_family = session.execute(
        select(FamilyMember.family_id, Action.local_day, func.sum(Action.co2e_grams))
        .join(FamilyMember, and_(FamilyMember.user_id == Action.user_id, Action.created_at >= FamilyMember.joined_at))
        .where(credited)
        .group_by(FamilyMember.family_id, Action.local_day)
    )
    for family_id, day, grams in per_family:
        for period in period_keys(day):
            _bump(scores, (Board.TEAM.value, period, family_id), int(grams), True)
    buckets: dict[Key, int] = defaultdict(int)
    for (board, period, _subject), (value, _members, listed) in scores.items():
        if listed and board != Board.DISTRICT.value:  # districts are ranked by average, without buckets
            buckets[(board, period, bucket(value))] += 1
    return scores, dict(buckets)


def _bump(scores: dict[Key, list], key: Key, grams: int, listed: bool) -> list:
    row = scores.setdefault(key, [0, 0, listed])
    row[0] += grams
    return row


def stored(session: Session) -> tuple[dict[Key, list], dict[Key, int]]:
    scores = {
        (s.board, s.period, s.subject_id): [int(s.value), s.members, s.listed]
        for s in session.scalars(select(BoardScore))
    }
    buckets = {(b.board, b.period, int(b.bucket)): b.n for b in session.scalars(select(BoardBucket)) if b.n}
    return scores, buckets


def verify(session: Session, boards: Iterable[Board] = (Board.RESIDENT, Board.DISTRICT)) -> list[str]:
    """Differences between the maintained aggregates and a recomputation (empty when they agree)."""
    wanted = {b.value for b in boards}
    problems = []
    for name, got, expected in zip(("score", "bucket"), stored(session), recompute(session), strict=True):
        keys = {k for k in got.keys() | expected.keys() if k[0] in wanted}
        problems += [
            f"{name} {k}: stored {got.get(k)}, expected {expected.get(k)}"
            for k in sorted(keys)
            if got.get(k) != expected.get(k)
        ]
    return problems


def rebuild(session: Session, now: dt.datetime) -> int:
    """Replace every aggregate with a recomputation; returns the number of score rows."""
    scores, buckets = recompute(session)
    session.execute(delete(BoardBucket))
    session.execute(delete(BoardScore))
    if scores:
        session.execute(
            BoardScore.__table__.insert(),
            [
                {
                    "board": b,
                    "period": p,
                    "subject_id": s,
                    "value": v,
                    "members": m,
                    "listed": listed,
                    "reached_at": now,
                }
                for (b, p, s), (v, m, listed) in scores.items()
            ],
        )
    if buckets:
        session.execute(
            BoardBucket.__table__.insert(),
            [{"board": b, "period": p, "bucket": k, "n": n} for (b, p, k), n in buckets.items()],
        )
    return len(scores)
