"""Parallel requests with real commits: badges are awarded once, families never exceed 8 members,
and the leaderboard aggregates stay equal to a recomputation (PostgreSQL row locks; SQLite's single
writer under BEGIN IMMEDIATE)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from models import Board, FamilyMember, Role, UserBadge
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.services import accounts, badges, boards, families, projector

from . import game
from .conftest import PASSWORD
from .helpers import race

real_commits = game.real_commits  # the fixture, used by name


def _resident(session, n: int, district: str = "371402"):
    user = accounts.create_user(
        session,
        None,
        role=Role.RESIDENT,
        login=f"1370000{n:04d}",
        password=PASSWORD,
        nickname=f"racer-{n}",
        district=district,
    )
    _, token = accounts.issue_token(session, user, "race")
    session.commit()
    return user, {"Authorization": f"Bearer {token}"}


def _badges(session, code: str) -> Counter:
    return Counter(session.scalars(select(UserBadge.user_id).where(UserBadge.badge_code == code)))


def test_parallel_actions_of_one_resident_award_each_badge_once(app, real_commits):
    user, headers = _resident(real_commits, 1)
    now = dt.datetime.now(dt.UTC)

    def post(i):
        if i >= 12:  # projectors folding while the actions arrive
            return projector.drain(db.new_session, limit=2) >= 0
        client = app.test_client()
        body = {"type": "bus", "quantity": 5, "occurred_at": (now - dt.timedelta(seconds=i)).isoformat()}
        return client.post("/api/v1/actions", json=body, headers=headers).status_code

    assert Counter(race(15, post)) == {201: 12, True: 3}
    projector.drain(db.new_session)
    real_commits.expire_all()
    assert _badges(real_commits, "first_action") == {user.id: 1}
    assert _badges(real_commits, "first_bus") == {user.id: 1}
    assert boards.verify(real_commits, (Board.RESIDENT, Board.DISTRICT, Board.TEAM)) == []


def test_a_whole_family_acting_at_once_shares_one_family_badge_each_and_consistent_totals(app, real_commits):
    people = [_resident(real_commits, 10 + i) for i in range(8)]
    family = families.create(real_commits, people[0][0], "Racing family")
    for user, _headers in people[1:]:
        families.join(real_commits, user, family.invite_code)
    real_commits.commit()
    now = dt.datetime.now(dt.UTC)

    def post(i):
        if i >= 8:  # projectors folding while the actions arrive
            return projector.drain(db.new_session, limit=3) >= 0
        client = app.test_client()
        body = {"type": "waste_textile", "quantity": 10, "occurred_at": (now - dt.timedelta(seconds=i)).isoformat()}
        return client.post("/api/v1/actions", json=body, headers=people[i][1]).status_code

    assert Counter(race(10, post)) == {201: 8, True: 2}
    projector.drain(db.new_session)
    real_commits.expire_all()
    assert _badges(real_commits, "green_family") == {user.id: 1 for user, _h in people}
    assert families.totals(real_commits, family)["all"] == 8 * 22158
    assert boards.verify(real_commits, (Board.RESIDENT, Board.DISTRICT, Board.TEAM)) == []


def test_parallel_joins_never_make_a_ninth_member(app, real_commits):
    founder, _ = _resident(real_commits, 100)
    family = families.create(real_commits, founder, "Popular")
    real_commits.commit()
    joiners = [_resident(real_commits, 101 + i)[0].id for i in range(12)]
    code = family.invite_code

    def join(i):
        session = db.new_session()
        try:
            families.join(session, session.get(type(founder), joiners[i]), code)
            session.commit()
            return "joined"
        except Conflict:
            session.rollback()
            return "full"
        finally:
            session.close()

    outcomes = Counter(race(12, join))
    assert outcomes == {"joined": 7, "full": 5}
    real_commits.expire_all()
    assert (
        real_commits.scalar(select(func.count()).select_from(FamilyMember).where(FamilyMember.family_id == family.id))
        == 8
    )
    assert families.family_of(real_commits, founder).member_count == 8


def test_parallel_award_badge_calls_award_once(app, real_commits):
    user, _ = _resident(real_commits, 200)

    def award(_i):
        session = db.new_session()
        try:
            won = badges.award_badge(session, user.id, "campaign_challenge")
            session.commit()
            return won
        finally:
            session.close()

    assert Counter(race(10, award)) == {True: 1, False: 9}
    assert _badges(real_commits, "campaign_challenge") == {user.id: 1}
