"""Folding a batch set-wise gives exactly what folding the same rows one at a time gives, for the
order-sensitive parts too: back-dated days in streaks, badge thresholds and when they were crossed,
family totals, new board rows and their buckets, first entries, challenge bonuses."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy import select

from models import BoardBucket, BoardScore, ChallengeCompletion, EntryKind, Evidence, GameProfile, Role, UserBadge
from webapp.services import actions, families, ledger, projector
from webapp.services.statistics import verify as stats_verify

from .campaign_support import at, make_campaign
from .carbon import make_type
from .test_projector import consistent

_refs = itertools.count(1)


def verified(session, user, action_type, quantity: str, occurred_at: dt.datetime, now: dt.datetime):
    data = actions.ActionInput(type=action_type.code, quantity=Decimal(quantity), occurred_at=occurred_at)
    evidence = actions.Verified(Evidence.TRANSIT, f"batch-{next(_refs)}")
    return actions.log_action(session, user, data, evidence=evidence, now=now)


def snapshot(session) -> tuple:
    """Every folded figure, with the moments the fold chose (awarded_at, reached_at)."""
    scores = sorted(
        tuple(r)
        for r in session.execute(
            select(
                BoardScore.board,
                BoardScore.period,
                BoardScore.subject_id,
                BoardScore.value,
                BoardScore.members,
                BoardScore.listed,
                BoardScore.reached_at,
            )
        )
    )
    buckets = sorted(  # a bucket a single addition emptied stays as a zero row: not a count
        tuple(r)
        for r in session.execute(select(BoardBucket.board, BoardBucket.period, BoardBucket.bucket, BoardBucket.n))
        if r.n
    )
    badges = sorted(
        tuple(r) for r in session.execute(select(UserBadge.user_id, UserBadge.badge_code, UserBadge.awarded_at))
    )
    profiles = sorted(
        (p.user_id, p.streak, p.best_streak, p.first_day, p.last_day, str(p.counts))
        for p in session.scalars(select(GameProfile))
    )
    completions = sorted(
        tuple(r) for r in session.execute(select(ChallengeCompletion.challenge_id, ChallengeCompletion.user_id))
    )
    return stats_verify.rows_of(session), scores, buckets, badges, profiles, completions


def test_a_batch_folds_exactly_what_one_row_at_a_time_folds(session, make_user):
    bus = make_type(session, grams="1000", cap_self=100_000, cap_evidenced=100_000)
    make_campaign(
        session,
        make_user(Role.PUBLICITY),
        starts=at(days=-1),
        ends=at(days=20),
        challenges=[{"type": bus.code, "count": 3, "bonus_credits": 40}],
        now=at(days=-2),
    )
    a, b, c = (make_user(Role.RESIDENT, district="371402") for _ in range(3))
    family = families.create(session, a, "绿色之家")
    families.join(session, b, family.invite_code)
    days = [0, 1, 2, 4, 5, 6, 7, 3]  # day 3 comes back-dated and closes a 7-day streak
    latest = at()
    for n, day in enumerate(days):
        occurred = at(days=day, hours=1)
        latest = max(latest, occurred) + dt.timedelta(minutes=1)
        verified(session, a, bus, "10", occurred, latest)  # 10 kg a trip: the family passes 50 kg
        verified(session, [b, c][n % 2], bus, "0.5" if n else "20", occurred, latest)
    ledger.debit(session, ledger.account_for(session, c), EntryKind.REDEEM, 100, ("redemption", c.id))
    assert projector.backlog(session).rows == 17

    savepoint = session.begin_nested()
    assert projector.fold_all(session, limit=1) == 17 + 3  # and the three bonuses it booked
    one_by_one = snapshot(session)
    savepoint.rollback()
    assert projector.fold_all(session, limit=500) == 17 + 3
    assert snapshot(session) == one_by_one
    assert {code for _u, code, _at in one_by_one[3]} >= {"streak_7", "green_family"}
    assert consistent(session) == []
