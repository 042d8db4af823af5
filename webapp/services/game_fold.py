"""The game's fold of one projector batch: profiles, boards and badges, set-wise.

Each resident's actions are replayed in memory in outbox order, judged as of the moment each was
credited, so streaks, team totals and badge thresholds come out as when folded one action at a time;
the database is read once per table (profiles locked in user order) and written once per table.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ActionStatus, Board, FamilyMember, GameProfile, GreenFamily, UserBadge, utcnow

from ..db import among
from . import badges, boards, game_state, projector
from .boards import ALL
from .city import city_zone
from .statistics.sql import dialect_insert
from .streaks import ONE_DAY, best_streak, streak


class Replay:
    """A resident's profile while the batch is replayed (days known when a recomputation may need them)."""

    def __init__(self, profile: GameProfile, days: set[dt.date] | None, counts: dict | None) -> None:
        self.profile = profile
        self.days = days
        counts = counts if counts is not None else (profile.counts or {})
        self.types = dict(counts.get("types", {}))
        self.families = dict(counts.get("families", {}))

    def note(self, day: dt.date, code: str, family: str) -> None:
        """game_state.note_credit, in memory."""
        p = self.profile
        if self.days is not None:
            self.days.add(day)
        if p.last_day is not None and day < p.last_day:  # out of order: recomputed from every day
            ordered = sorted(self.days, reverse=True)
            p.first_day, p.last_day = ordered[-1], ordered[0]
            p.streak, p.best_streak = streak(ordered, ordered[0]), best_streak(ordered)
        else:
            if p.last_day is None or day > p.last_day + ONE_DAY:
                p.streak = 1
            elif day == p.last_day + ONE_DAY:
                p.streak += 1
            p.last_day = day
            p.first_day = p.first_day or day
            p.best_streak = max(p.best_streak, p.streak)
        self.types[code] = self.types.get(code, 0) + 1
        self.families[family] = self.families.get(family, 0) + 1

    def store(self) -> None:
        self.profile.counts = {"types": dict(self.types), "families": dict(self.families)}
        self.profile.updated_at = utcnow()


def _profiles(session: Session, batch: projector.Batch) -> dict[int, Replay]:
    """Every resident's profile, created when missing, locked in user order; with the folded days of
    those whose replay may recompute (new profiles, back-dated days)."""
    ids = sorted({a.user_id for a in batch.actions})
    session.execute(
        dialect_insert(session)(GameProfile).on_conflict_do_nothing(index_elements=[GameProfile.user_id]),
        [
            {
                "user_id": i,
                "hidden_from_boards": False,
                "streak": 0,
                "best_streak": 0,
                "counts": {},
                "updated_at": utcnow(),
            }
            for i in ids
        ],
    )
    found = session.scalars(
        select(GameProfile)
        .where(among(session, GameProfile.user_id, ids))
        .order_by(GameProfile.user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    profiles = {p.user_id: p for p in found}
    last = {i: profiles[i].last_day for i in ids}
    needs = {i for i in ids if profiles[i].last_day is None}
    for action in batch.actions:
        seen = last[action.user_id]
        if seen is not None and action.local_day < seen:
            needs.add(action.user_id)
        last[action.user_id] = max(seen or action.local_day, action.local_day)
    replays = {}
    known = game_state.tallies(session, sorted(needs))
    for i in ids:
        if i in needs:
            days, types, families = known[i]
            replays[i] = Replay(profiles[i], set(days), {"types": types, "families": families})
            if profiles[i].last_day is None:  # fresh: filled from the folded actions first
                ordered = sorted(days, reverse=True)
                p = profiles[i]
                p.first_day = ordered[-1] if ordered else None
                p.last_day = ordered[0] if ordered else None
                p.streak = streak(ordered, ordered[0]) if ordered else 0
                p.best_streak = best_streak(ordered)
        else:
            replays[i] = Replay(profiles[i], None, None)
    return replays


def fold_batch(session: Session, batch: projector.Batch) -> None:
    """projector.ON_BATCH: streaks, levels' counts, boards and badges for the batch's credited actions."""
    actions = batch.actions
    if not actions:
        return
    zone = city_zone(session)
    replays = _profiles(session, batch)
    ids = sorted(replays)
    family_of = {
        r.user_id: (r.family_id, r.member_count)
        for r in session.execute(
            select(FamilyMember.user_id, FamilyMember.family_id, GreenFamily.member_count)
            .join(GreenFamily, GreenFamily.id == FamilyMember.family_id)
            .where(among(session, FamilyMember.user_id, ids))
        )
    }
    members: dict[int, list[int]] = defaultdict(list)
    if family_of:
        for fid, uid in session.execute(
            select(FamilyMember.family_id, FamilyMember.user_id)
            .where(FamilyMember.family_id.in_({f for f, _n in family_of.values()}))
            .order_by(FamilyMember.user_id)
        ):
            members[fid].append(uid)
    held: dict[int, set[str]] = defaultdict(set)
    for uid, code in session.execute(
        select(UserBadge.user_id, UserBadge.badge_code).where(
            among(session, UserBadge.user_id, ids + [u for m in members.values() for u in m])
        )
    ):
        held[uid].add(code)

    # boards: sums per row; first action of each new resident row gives its district a member
    scores: dict[boards.Row, dict] = {}
    order: list[tuple] = []
    for action in actions:
        grams = int(action.co2e_grams)
        now = action.reviewed_at or action.created_at
        if grams <= 0 or action.status != ActionStatus.CREDITED:
            order.append((action, now, None))
            continue
        listed = not replays[action.user_id].profile.hidden_from_boards
        keys = [(Board.RESIDENT.value, p, action.user_id) for p in boards.period_keys(action.local_day)]
        family = family_of.get(action.user_id)
        if family is not None:
            keys += [(Board.TEAM.value, p, family[0]) for p in boards.period_keys(action.local_day)]
        for key in keys:
            row = scores.setdefault(key, {"value": 0, "listed": key[0] != Board.RESIDENT.value or listed})
            row["value"] += grams
            row["reached_at"] = now
        order.append((action, now, grams))
    added = boards.add_scores(session, scores)
    grams_of = {k: v["value"] for k, v in scores.items()}
    deltas = boards.moves(added, grams_of)
    districts: dict[boards.Row, dict] = {}
    team_running = {k[2]: added[k].value - grams_of[k] for k in added if k[0] == Board.TEAM.value and k[1] == ALL}
    counted: set[boards.Row] = set()
    awards: dict[tuple[int, str], dt.datetime] = {}

    def award(uid: int, code: str, now: dt.datetime) -> None:
        if code not in held[uid] and code in badges.catalogue():
            held[uid].add(code)
            awards[(uid, code)] = now

    for action, now, grams in order:
        replay = replays[action.user_id]
        replay.note(action.local_day, action.action_type.code, str(action.action_type.family))
        family = family_of.get(action.user_id)
        team_total = None
        if grams is not None:
            if family is not None:
                team_running[family[0]] += grams
                team_total = team_running[family[0]]
            if action.district_id is not None:
                for p in boards.period_keys(action.local_day):
                    mine = (Board.RESIDENT.value, p, action.user_id)
                    new = added[mine].was_new and mine not in counted
                    counted.add(mine)
                    row = districts.setdefault(
                        (Board.DISTRICT.value, p, action.district_id), {"value": 0, "members": 0, "reached_at": now}
                    )
                    row["value"] += grams
                    row["members"] += 1 if new else 0
                    row["reached_at"] = max(row["reached_at"], now)
        if family is not None and team_total is None:
            team_total = team_running.get(family[0])
            if team_total is None:
                team_total = game_state.facts(
                    session, batch.users[action.user_id], replay.profile, now.date()
                ).family_grams
        today = now.astimezone(zone).date()
        replay.store()
        facts = game_state.facts(
            session,
            batch.users[action.user_id],
            replay.profile,
            today,
            family=(family[1], team_total) if family else (0, 0),
        )
        for code, rule in badges.RULES.items():
            if code not in held[action.user_id] and rule(facts) >= 1:
                award(action.user_id, code, now)
        if family is not None and facts.family_size >= 2 and facts.family_grams >= badges.FAMILY_BADGE_GRAMS:
            for uid in members[family[0]]:
                award(uid, "green_family", now)
    boards.add_districts(session, districts)
    boards.apply_buckets(session, deltas)
    if awards:
        session.execute(
            dialect_insert(session)(UserBadge).on_conflict_do_nothing(
                index_elements=[UserBadge.user_id, UserBadge.badge_code]
            ),
            [{"user_id": u, "badge_code": c, "awarded_at": t, "data": {}} for (u, c), t in sorted(awards.items())],
        )
    session.flush()
