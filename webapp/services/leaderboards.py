"""Reading the leaderboards from the maintained aggregates (services.boards), never from actions.

Order: CO2e grams descending, then whoever reached the value first, then the lowest id, so equal
values still get distinct, stable ranks. A rank is the count of listed rows in higher buckets (a sum
over at most a few thousand bucket rows) plus those ahead inside the subject's own narrow bucket.
Residents appear by nickname only (masked when it would reveal their login); districts by CO2e per
active resident, suppressed under 10 residents as in the statistics.

The top of a board is the same for every reader, so each process keeps it for `cache_seconds`
(LEADERBOARD_CACHE_SECONDS, 2 by default): boards trail the actions by the projector's lag anyway.
The reader's own place is always read fresh.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session

from models import Board, BoardBucket, BoardScore, District, FamilyMember, GreenFamily, Role, User, utcnow

from ..errors import Invalid
from ..messages import N_
from .boards import bucket, bucket_end, period_key
from .city import city_zone

PERIODS = ("week", "month", "all")
BOARDS = {"residents": Board.RESIDENT, "districts": Board.DISTRICT, "teams": Board.TEAM}
MIN_RESIDENTS = 10  # a district cell with fewer active residents is suppressed (DESIGN invariant 7)


@dataclass(frozen=True)
class Standing:
    rank: int | None
    value: int | None
    name: str | None = None  # nickname or family name; None when masked (shown as "a resident")
    district: District | None = None  # the districts board names them in the reader's language
    residents: int | None = None
    is_me: bool = False
    hidden: bool = False  # the viewer has opted out of the boards
    suppressed: bool = False


@dataclass(frozen=True)
class Standings:
    board: str
    period: str
    period_key: str
    items: list[Standing] = field(default_factory=list)
    me: Standing | None = None


def reveals_login(user: User | Row) -> bool:
    """A nickname that contains the resident's phone number or e-mail address is never shown."""
    nickname = (user.nickname or "").strip().lower()
    if not nickname:
        return True
    digits = re.sub(r"\D", "", nickname)
    if user.phone and len(user.phone) >= 7 and user.phone[-7:] in digits:
        return True
    if user.email:
        email = user.email.lower()
        return email in nickname or email.split("@")[0] == nickname
    return False


def display_name(user: User | Row) -> str | None:
    return None if reveals_login(user) else user.nickname


def rank_of(session: Session, board: Board, period: str, subject_id: int) -> tuple[int | None, int, bool]:
    """(rank or None when absent or unlisted, value, listed) of one subject in one period."""
    row = session.execute(
        select(BoardScore.value, BoardScore.listed, BoardScore.reached_at).where(
            BoardScore.board == board.value, BoardScore.period == period, BoardScore.subject_id == subject_id
        )
    ).one_or_none()
    if row is None:
        return None, 0, True
    value = int(row.value)
    if not row.listed:
        return None, value, False
    start = bucket(value)
    above = select(func.coalesce(func.sum(BoardBucket.n), 0)).where(
        BoardBucket.board == board.value, BoardBucket.period == period, BoardBucket.bucket > start
    )
    ahead = (
        select(func.count())
        .select_from(BoardScore)
        .where(
            BoardScore.board == board.value,
            BoardScore.period == period,
            BoardScore.listed.is_(True),
            BoardScore.value >= start,
            BoardScore.value < bucket_end(start),
            or_(
                BoardScore.value > value,
                and_(
                    BoardScore.value == value,
                    or_(
                        BoardScore.reached_at < row.reached_at,
                        and_(BoardScore.reached_at == row.reached_at, BoardScore.subject_id < subject_id),
                    ),
                ),
            ),
        )
    )
    counts = session.execute(select(above.scalar_subquery(), ahead.scalar_subquery())).one()
    return int(counts[0]) + int(counts[1]) + 1, value, True


def _top(board: Board, period: str, limit: int, *columns):
    """The first `limit` listed rows in rank order (an index range scan), with extra columns."""
    return (
        select(BoardScore.subject_id, BoardScore.value, *columns)
        .where(BoardScore.board == board.value, BoardScore.period == period, BoardScore.listed.is_(True))
        .order_by(BoardScore.value.desc(), BoardScore.reached_at, BoardScore.subject_id)
        .limit(limit)
    )


def top(session: Session, board: Board, period: str, limit: int) -> list[tuple[int, int]]:
    """(subject_id, value) of the first `limit` listed rows, in rank order."""
    return [(r.subject_id, int(r.value)) for r in session.execute(_top(board, period, limit))]


def _check(board_name: str, period_name: str, limit: int) -> Board:
    if board_name not in BOARDS:
        raise Invalid.field("board", N_("Unknown leaderboard."))
    if period_name not in PERIODS:
        raise Invalid.field("period", N_("The period is week, month or all."))
    if not 1 <= limit <= 100:
        raise Invalid.field("limit", N_("Give a limit from 1 to 100."))
    return BOARDS[board_name]


def standings(
    session: Session,
    viewer: User,
    board_name: str,
    period_name: str = "week",
    *,
    limit: int = 20,
    now: dt.datetime | None = None,
    cache_seconds: float = 0,
) -> Standings:
    """The top of a board (kept up to `cache_seconds` in this process) and the viewer's own place,
    read fresh (even far outside the top)."""
    board = _check(board_name, period_name, limit)
    today = (now or utcnow()).astimezone(city_zone(session)).date()
    key = period_key(period_name, today)
    if board == Board.DISTRICT:
        items, me = _districts(session, viewer, key, limit)
    elif board == Board.TEAM:
        items, me = _teams(session, viewer, key, limit, cache_seconds)
    else:
        items, me = _residents(session, viewer, key, limit, cache_seconds)
    return Standings(board_name, period_name, key, items, me)


# (board, period key, limit) -> (monotonic time it was read, [(subject_id, value, name)])
_tops: dict[tuple[str, str, int], tuple[float, list[tuple[int, int, str | None]]]] = {}


def _kept(key: tuple[str, str, int], seconds: float, read: Callable[[], list]) -> list[tuple[int, int, str | None]]:
    """The top rows read within the last `seconds` in this process, else read now (0: always read)."""
    now = time.monotonic()
    found = _tops.get(key)
    if seconds > 0 and found is not None and now - found[0] < seconds:
        return found[1]
    rows = read()
    if seconds > 0:
        _tops[key] = (now, rows)
    return rows


def _residents(
    session: Session, viewer: User, key: str, limit: int, cache_seconds: float = 0
) -> tuple[list[Standing], Standing | None]:
    def read() -> list[tuple[int, int, str | None]]:
        columns = (User.nickname, User.phone, User.email)  # what display_name reads, not the whole entity
        rows = session.execute(_top(Board.RESIDENT, key, limit, *columns).join(User, User.id == BoardScore.subject_id))
        return [(row.subject_id, int(row.value), display_name(row)) for row in rows]

    items = [
        Standing(i, value, name, is_me=subject_id == viewer.id)
        for i, (subject_id, value, name) in enumerate(_kept((Board.RESIDENT.value, key, limit), cache_seconds, read), 1)
    ]
    me = None
    if viewer.role == Role.RESIDENT:
        rank, value, listed = rank_of(session, Board.RESIDENT, key, viewer.id)
        me = Standing(rank, value, display_name(viewer), is_me=True, hidden=not listed)
    return items, me


def _teams(
    session: Session, viewer: User, key: str, limit: int, cache_seconds: float = 0
) -> tuple[list[Standing], Standing | None]:
    def read() -> list[tuple[int, int, str | None]]:
        rows = session.execute(
            _top(Board.TEAM, key, limit, GreenFamily.name).join(GreenFamily, GreenFamily.id == BoardScore.subject_id)
        )
        return [(row.subject_id, int(row.value), row.name) for row in rows]

    family_id = session.scalar(select(FamilyMember.family_id).where(FamilyMember.user_id == viewer.id))
    items = [
        Standing(i, value, name, is_me=subject_id == family_id)
        for i, (subject_id, value, name) in enumerate(_kept((Board.TEAM.value, key, limit), cache_seconds, read), 1)
    ]
    me = None
    if family_id is not None:
        rank, value, _listed = rank_of(session, Board.TEAM, key, family_id)
        me = Standing(rank, value, session.get(GreenFamily, family_id).name, is_me=True)
    return items, me


def district_table(session: Session, key: str) -> list[Standing]:
    """Every district with its CO2e per active resident, ranked; small cells suppressed, last."""
    scores = {
        s.subject_id: s
        for s in session.scalars(
            select(BoardScore).where(BoardScore.board == Board.DISTRICT.value, BoardScore.period == key)
        )
    }
    shown, suppressed = [], []
    for district in session.scalars(select(District).order_by(District.code)):
        score = scores.get(district.id)
        residents = score.members if score else 0
        if residents >= MIN_RESIDENTS:
            average = (2 * int(score.value) + residents) // (2 * residents)  # rounded half up
            shown.append((average, district, residents))
        else:
            suppressed.append(Standing(None, None, district=district, suppressed=True))
    shown.sort(key=lambda row: (-row[0], row[1].code))
    ranked = [Standing(i, average, district=d, residents=n) for i, (average, d, n) in enumerate(shown, 1)]
    return ranked + suppressed


def _districts(session: Session, viewer: User, key: str, limit: int) -> tuple[list[Standing], Standing | None]:
    table = district_table(session, key)
    mark = [
        Standing(
            s.rank,
            s.value,
            district=s.district,
            residents=s.residents,
            suppressed=s.suppressed,
            is_me=s.district.id == viewer.district_id,
        )
        for s in table
    ]
    me = next((s for s in mark if s.is_me), None)
    return [s for s in mark if not s.suppressed][:limit], me
