"""Demo data for `make run`: residents in several districts, staff of every role, a merchant with
rewards, and a few weeks of green actions — all made through the services, so they obey the rules.

Beside them a crowd of synthetic residents (seeds/synthetic.py) with five weeks of actions and a past
campaign, so that the official dashboard, the leaderboards, the campaign uplift and the green-travel
share show figures over the suppression threshold in every district instead of "<10"."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Action, Campaign, Funder, Reward, Role, Station, User, utcnow
from webapp.errors import DomainError
from webapp.services import (
    accounts,
    actions,
    boards,
    campaign_lifecycle,
    campaigns,
    merchants,
    rewards,
    stations,
    statistics,
)
from webapp.services.campaign_checks import CampaignInput
from webapp.services.city import city_zone

from . import synthetic

DEMO_PASSWORD = "Green-Dezhou-2026"
DEMO_MERCHANT = "德百绿色超市"

ACCOUNTS = [
    (Role.RESIDENT, "13800000001", "小绿", "371402"),
    (Role.RESIDENT, "13800000002", "骑行达人", "371482"),
    (Role.RESIDENT, "resident3@demo.dezhou.example", "Walker", "371481"),
    (Role.MERCHANT, "merchant@demo.dezhou.example", "绿色超市店员", None),
    (Role.PUBLICITY, "publicity@demo.dezhou.example", "宣传部", None),
    (Role.OFFICIAL, "official@demo.dezhou.example", "市发改委", None),
    (Role.ADMIN, "admin@demo.dezhou.example", "管理员", None),
    (Role.ATTENDANT, "attendant@demo.dezhou.example", "回收站值守员", None),
]
DEMO_STATION = ("新湖回收站", "371402", "德城区新湖大街 18 号")

# (title, English title, cost in credits, stock, value in fen, who pays): the bus ride is the city's.
REWARDS = [
    ("公交乘车券 1 次", "Bus ride voucher", 300, 200, 200, Funder.CITY),
    ("环保购物袋", "Reusable shopping bag", 800, 50, 500, Funder.MERCHANT),
    ("有机蔬菜 9 折券", "10% off organic vegetables", 1500, 30, 300, Funder.MERCHANT),
]

# A few weeks of plausible habits: (type, quantity, days a week)
HABITS = [
    ("bus", "6.5", 5),
    ("bike_shared", "3.2", 3),
    ("walk", "8000", 6),
    ("waste_paper", "1.2", 1),
    ("waste_plastic", "0.4", 1),
    ("buy_own_bag", "1", 2),
]


def _account(session: Session, role: Role, login: str, nickname: str, district: str | None) -> User:
    column = User.email if "@" in login else User.phone
    user = session.scalar(select(User).where(column == login))
    if user is None:
        user = accounts.create_user(
            session, None, role=role, login=login, password=DEMO_PASSWORD, nickname=nickname, district=district
        )
    return user


def account_of(session: Session, role: Role) -> User:
    """The (first) demo account of a role, created if missing."""
    return _account(session, *next(row for row in ACCOUNTS if row[0] == role))


def _merchant_with_rewards(session: Session, staff: User) -> None:
    shop = merchants.ensure_by_name(session, DEMO_MERCHANT, "371402")
    if staff.merchant_id is None:
        merchants.attach_staff(session, None, staff, shop)
    if session.scalar(select(func.count()).select_from(Reward).where(Reward.merchant_id == shop.id)):
        return
    now = utcnow()
    for title, title_en, cost, stock, value_fen, funder in REWARDS:
        reward = rewards.create(
            session,
            staff,
            rewards.RewardInput(
                title=title,
                title_en=title_en,
                cost=cost,
                stock=stock,
                per_resident_limit=2,
                valid_from=now - dt.timedelta(days=1),
                valid_until=now + dt.timedelta(days=180),
                value_fen=value_fen,
            ),
        )
        reward.funded_by = funder  # set by the city's own seed, as an administrator would


def _history(session: Session, resident: User, seed: int) -> None:
    """Green actions over the last week (the back-dating window), once."""
    if session.scalar(select(func.count()).select_from(Action).where(Action.user_id == resident.id)):
        return
    rng = random.Random(seed)
    now = utcnow()
    zone = city_zone(session)
    # One action earlier today, so that this week's rank shows even on a Monday morning.
    today = max(now - dt.timedelta(minutes=10), dt.datetime.combine(now.astimezone(zone).date(), dt.time(), zone))
    code, quantity, _ = HABITS[0]
    _log(session, resident, code, quantity, today, now)
    for code, quantity, per_week in HABITS:
        for day in rng.sample(range(1, 7), min(per_week, 6)):
            moment = now - dt.timedelta(days=day, hours=rng.randint(0, 10), minutes=rng.randint(0, 59))
            _log(session, resident, code, quantity, moment, moment + dt.timedelta(minutes=5))


def _log(session: Session, resident: User, code: str, quantity, moment: dt.datetime, now: dt.datetime) -> None:
    data = actions.ActionInput(type=code, quantity=Decimal(quantity), occurred_at=moment)
    try:
        with session.begin_nested():
            actions.log_action(session, resident, data, now=now)
    except DomainError:
        pass  # e.g. a cap or a held burst: the demo takes what the rules allow


DEMO_CAMPAIGN = "冬季绿色出行周"


def _campaign(session: Session, publicity: User) -> None:
    """A campaign that the scheduler turns on a minute after `make run` starts."""
    if session.scalar(select(Campaign.id).where(Campaign.name_zh == DEMO_CAMPAIGN)):
        return
    now = utcnow()
    campaigns.create(
        session,
        publicity,
        CampaignInput(
            name=DEMO_CAMPAIGN,
            name_en="Winter Green Travel Week",
            starts_at=now + dt.timedelta(minutes=1),
            ends_at=now + dt.timedelta(days=7),
            description="乘公交、骑共享单车，积分翻倍。",
            description_en="Double credits for bus and shared-bike trips.",
            multipliers={"bus": "2", "bike_shared": "2"},
        ),
    )


PAST_CAMPAIGN = "节能宣传周（演示）"
CROWD_RESIDENTS, CROWD_ACTIONS, CROWD_DAYS = 1000, 16_000, 35
CROWD_RATE = 1.4  # actions a day during the past campaign, against an ordinary day


def crowd(
    session: Session, publicity: User, residents: int = CROWD_RESIDENTS, action_count: int = CROWD_ACTIONS
) -> synthetic.Loaded | None:
    """The synthetic crowd and its past campaign (two weeks ago, a week long), once; then the roll-ups
    and leaderboards rebuilt from the rows. None if it is there already."""
    if session.scalar(select(Campaign.id).where(Campaign.name_zh == PAST_CAMPAIGN)):
        return None
    zone = city_zone(session)
    today = utcnow().astimezone(zone).date()
    first = today - dt.timedelta(days=14)
    starts_at = dt.datetime.combine(first, dt.time(), zone)
    ends_at = starts_at + dt.timedelta(days=7)
    multipliers = {"bus": "2", "bike_shared": "2", "walk": "1.5"}
    campaign = campaigns.create(
        session,
        publicity,
        CampaignInput(
            name=PAST_CAMPAIGN,
            name_en="Energy Conservation Publicity Week (demo)",
            starts_at=starts_at,
            ends_at=ends_at,
            description="演示数据：两周前的一场活动，公交、共享单车积分翻倍，步行 1.5 倍。",
            description_en="Demo data: a campaign two weeks ago; bus and shared bikes x2, walking x1.5.",
            multipliers=multipliers,
        ),
        now=starts_at - dt.timedelta(hours=1),
    )
    campaign_lifecycle.activate_due(session, now=starts_at)
    boost = synthetic.Boost(
        campaign.id, first, first + dt.timedelta(days=6), CROWD_RATE, {k: Decimal(v) for k, v in multipliers.items()}
    )
    plan = synthetic.Plan(residents, action_count, today - dt.timedelta(days=1), CROWD_DAYS, boost=boost)
    loaded = synthetic.load(session, plan)
    campaign_lifecycle.end_due(session, now=ends_at)
    statistics.refresh_rollups(session)
    boards.rebuild(session, utcnow())
    return loaded


def _station(session: Session, attendant: User) -> None:
    name, district, address = DEMO_STATION
    station = session.scalar(select(Station).where(Station.name == name))
    if station is None:
        station = Station(name=name, district_id=accounts.district_by_code(session, district).id, address=address)
        session.add(station)
        session.flush()
    stations.assign_attendant(session, None, attendant, station)


def load(session: Session) -> list[tuple[str, str, str]]:
    """Create what does not exist yet; returns (role, login, nickname) for every demo account."""
    shown = []
    for n, (role, login, nickname, district) in enumerate(ACCOUNTS):
        user = _account(session, role, login, nickname, district)
        if role == Role.MERCHANT:
            _merchant_with_rewards(session, user)
        if role == Role.RESIDENT:
            _history(session, user, seed=n)
        if role == Role.PUBLICITY:
            _campaign(session, user)
        if role == Role.ATTENDANT and user.station_id is None:
            _station(session, user)
        shown.append((str(role), login, nickname))
    return shown
