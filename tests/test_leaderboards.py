"""Leaderboards: CO2e of credited actions only, deterministic ties, opt-out, city weeks, `me` anywhere,
districts by average, teams, and the maintained aggregates always equal a recomputation."""

from __future__ import annotations

import datetime as dt
import random

import time_machine

from models import ActionStatus, Board, BoardBucket, Role
from webapp.services import accounts, actions, boards, families, gamification, leaderboards, projector

from .carbon import make_type
from .game import city_time, credit

MONDAY = dt.date(2026, 6, 8)
NOW = city_time(MONDAY + dt.timedelta(days=3), 20)  # Thursday evening of that week


def board(session, viewer, name="residents", period="week", limit=20, now=NOW):
    return leaderboards.standings(session, viewer, name, period, limit=limit, now=now)


def table(result) -> list[tuple]:
    return [(s.rank, s.name, s.value) for s in result.items]


def test_residents_rank_by_co2e_descending_and_see_their_own_place(session, make_user):
    walk = make_type(session, grams="100")
    a, b, c = (make_user(nickname=n) for n in ("ann", "bo", "cy"))
    credit(session, a, walk.code, 2, city_time(MONDAY, 9))
    credit(session, b, walk.code, 7, city_time(MONDAY, 9, 5))
    credit(session, c, walk.code, 4, city_time(MONDAY, 9, 10))
    result = board(session, c)
    assert table(result) == [(1, "bo", 700), (2, "cy", 400), (3, "ann", 200)]
    assert (result.me.rank, result.me.value) == (2, 400) and result.items[1].is_me


def test_value_is_co2e_grams_not_credits(session, make_user):
    capped = make_type(session, grams="1000", cap_self=10, cap_evidenced=10)
    user = make_user(nickname="capped")
    action = credit(session, user, capped.code, 3, city_time(MONDAY))
    assert action.credits == 10
    assert table(board(session, user)) == [(1, "capped", 3000)]


def test_ties_go_to_whoever_reached_the_value_first_then_to_the_lowest_id(session, make_user):
    walk = make_type(session, grams="100")
    first, second, third = (make_user(nickname=n) for n in ("first", "second", "third"))
    credit(session, second, walk.code, 5, city_time(MONDAY, 10))
    credit(session, first, walk.code, 5, city_time(MONDAY, 11))
    assert [s.name for s in board(session, first).items] == ["second", "first"]
    moment = city_time(MONDAY, 12)
    credit(session, third, walk.code, 1, moment)
    credit(session, third, walk.code, 1, moment)  # both now at the same moment as each other:
    credit(session, first, walk.code, 1, moment + dt.timedelta(minutes=1))
    result = board(session, third)
    assert [(s.name, s.value) for s in result.items] == [("first", 600), ("second", 500), ("third", 200)]
    low, high = sorted([make_user(nickname="x"), make_user(nickname="y")], key=lambda u: u.id)
    credit(session, high, walk.code, 9, moment + dt.timedelta(hours=1))
    credit(session, low, walk.code, 9, moment + dt.timedelta(hours=1))
    assert [s.name for s in board(session, low).items][:2] == ["x", "y"]  # same value, same moment: lower id


def test_pending_duplicate_and_rejected_actions_do_not_count_until_approved(session, make_user):
    needs = make_type(session, grams="100", needs_evidence=True)
    bus = make_type(session, grams="100")
    admin = make_user(Role.ADMIN)
    user = make_user(nickname="careful")
    pending = credit(session, user, needs.code, 5, city_time(MONDAY, 8), verified=False)
    rejected = credit(session, user, needs.code, 5, city_time(MONDAY, 9), verified=False)
    credit(session, user, bus.code, 1, city_time(MONDAY, 10))  # verified trip
    duplicate = credit(session, user, bus.code, 9, city_time(MONDAY, 10, 20), verified=False)
    assert (pending.status, duplicate.status) == (ActionStatus.PENDING, ActionStatus.DUPLICATE)
    actions.reject(session, admin, rejected.id, "no receipt")
    assert table(board(session, user)) == [(1, "careful", 100)]
    with time_machine.travel(city_time(MONDAY, 20), tick=False):
        actions.approve(session, admin, pending.id)
        projector.fold_all(session)
    assert table(board(session, user)) == [(1, "careful", 600)]
    assert boards.verify(session) == []


def test_opted_out_residents_are_left_out_and_others_move_up(session, make_user):
    walk = make_type(session, grams="100")
    shy, other = make_user(nickname="shy"), make_user(nickname="other")
    credit(session, shy, walk.code, 9, city_time(MONDAY, 9))
    credit(session, other, walk.code, 3, city_time(MONDAY, 9, 5))
    gamification.set_hidden(session, shy, True)
    result = board(session, shy)
    assert table(result) == [(1, "other", 300)]
    assert result.me.hidden and result.me.rank is None and result.me.value == 900
    assert board(session, other).me.rank == 1
    credit(session, shy, walk.code, 1, city_time(MONDAY, 10))  # acting while hidden stays hidden
    assert table(board(session, other, period="all")) == [(1, "other", 300)]
    assert boards.verify(session) == []
    gamification.set_hidden(session, shy, False)
    assert table(board(session, other)) == [(1, "shy", 1000), (2, "other", 300)]
    assert boards.verify(session) == []


def test_city_weeks_start_on_monday_in_asia_shanghai(session, make_user):
    walk = make_type(session, grams="100")
    user = make_user(nickname="weekly")
    sunday_night = city_time(MONDAY + dt.timedelta(days=6), 23, 30)  # still week 1 (15:30 UTC)
    monday_early = city_time(MONDAY + dt.timedelta(days=7), 0, 30)  # week 2 (16:30 UTC, same UTC day)
    credit(session, user, walk.code, 2, sunday_night)
    credit(session, user, walk.code, 5, monday_early)
    later = monday_early + dt.timedelta(hours=1)
    assert board(session, user, period="week", now=later).me.value == 500
    assert board(session, user, period="week", now=sunday_night).me.value == 200
    assert board(session, user, period="month", now=later).me.value == 700
    assert board(session, user, period="all", now=later).me.value == 700
    assert board(session, user, period="week", now=later).period_key == "w2026-06-15"


def test_me_is_ranked_even_far_outside_the_top(session, make_user):
    walk = make_type(session, grams="100")
    users = [make_user(nickname=f"r{i}") for i in range(30)]
    for i, user in enumerate(users):
        credit(session, user, walk.code, 30 - i, city_time(MONDAY, 9, i))
    result = board(session, users[-1], limit=5)
    assert [s.rank for s in result.items] == [1, 2, 3, 4, 5]
    assert (result.me.rank, result.me.value) == (30, 100) and not any(s.is_me for s in result.items)


def test_ranks_from_buckets_equal_a_full_sort(session, make_user):
    grams = make_type(session, grams="1", max_q="50000", cap_evidenced=10**7)
    rng = random.Random(7)
    users = [make_user(nickname=f"p{i}") for i in range(60)]
    for i, user in enumerate(users):
        for j in range(rng.randint(1, 3)):
            amount = rng.choice([5, 999, 1000, 1004, 1005, 1234, 20_000, 45_678])
            credit(session, user, grams.code, amount, city_time(MONDAY, 8 + j, i % 60))
    expected = leaderboards.top(session, Board.RESIDENT, boards.week_key(MONDAY), 100)
    for position, (user_id, value) in enumerate(expected, 1):
        assert leaderboards.rank_of(session, Board.RESIDENT, boards.week_key(MONDAY), user_id)[:2] == (position, value)
    assert boards.verify(session) == []
    boards.rebuild(session, NOW)
    assert boards.verify(session) == []


def test_districts_rank_by_co2e_per_active_resident_and_small_ones_are_suppressed(session, make_user):
    walk = make_type(session, grams="100")
    big = [make_user(district="371402") for _ in range(12)]
    small = [make_user(district="371403") for _ in range(10)]
    tiny = [make_user(district="371422") for _ in range(3)]
    for i, user in enumerate(big):
        credit(session, user, walk.code, 1, city_time(MONDAY, 9, i))  # 100 g each
    for i, user in enumerate(small):
        credit(session, user, walk.code, 2 if i else 3, city_time(MONDAY, 9, i))  # 2100 g / 10
    for user in tiny:
        credit(session, user, walk.code, 50, city_time(MONDAY, 10))
    result = leaderboards.standings(session, tiny[0], "districts", "week", now=NOW)
    assert [(s.rank, s.district.code, s.value, s.residents) for s in result.items] == [
        (1, "371403", 210, 10),
        (2, "371402", 100, 12),
    ]
    assert result.me.suppressed and result.me.rank is None and result.me.value is None
    assert leaderboards.standings(session, big[0], "districts", "week", now=NOW).me.rank == 2


def test_teams_board_ranks_family_totals(session, make_user):
    walk = make_type(session, grams="100")
    a1, a2, b1, loner = make_user(), make_user(), make_user(), make_user()
    fa = families.create(session, a1, "Alpha")
    families.join(session, a2, fa.invite_code)
    families.create(session, b1, "Beta")
    credit(session, a1, walk.code, 2, city_time(MONDAY, 9))
    credit(session, a2, walk.code, 2, city_time(MONDAY, 10))
    credit(session, b1, walk.code, 3, city_time(MONDAY, 11))
    result = leaderboards.standings(session, a2, "teams", "week", now=NOW)
    assert table(result) == [(1, "Alpha", 400), (2, "Beta", 300)]
    assert (result.me.rank, result.me.value, result.me.name) == (1, 400, "Alpha")
    assert leaderboards.standings(session, loner, "teams", "week", now=NOW).me is None


def test_erased_residents_leave_the_boards_and_their_family(session, make_user):
    walk = make_type(session, grams="100")
    gone, stay = make_user(nickname="gone"), make_user(nickname="stay")
    family = families.create(session, gone, "Leaving")
    families.join(session, stay, family.invite_code)
    credit(session, gone, walk.code, 9, city_time(MONDAY, 9))
    credit(session, stay, walk.code, 1, city_time(MONDAY, 9, 30))
    accounts.erase(session, gone)
    assert table(board(session, stay)) == [(1, "stay", 100)]
    assert families.family_of(session, stay).founder_id == stay.id
    assert families.family_of(session, gone) is None
    assert boards.verify(session) == []


def test_nicknames_that_reveal_a_login_are_masked(session, make_user):
    walk = make_type(session, grams="100")
    phone_nick = make_user(login="13800001234", nickname="13800001234")
    mail = accounts.create_user(
        session, None, role=Role.RESIDENT, login="li.lei@example.com", password="Tidy-Bus-Lane-42", district="371402"
    )  # nickname defaults to li.lei
    credit(session, phone_nick, walk.code, 2, city_time(MONDAY, 9))
    credit(session, mail, walk.code, 1, city_time(MONDAY, 9))
    names = [s.name for s in board(session, mail).items]
    assert names == [None, None]
    assert leaderboards.display_name(make_user(nickname="green-bee")) == "green-bee"


# --- the API ------------------------------------------------------------------------------------------


def test_api_returns_items_with_rank_name_value_and_me(api, session, make_user):
    walk = make_type(session, grams="100")
    users = [make_user(nickname=f"api{i}") for i in range(4)]
    # The clock stays on a Thursday: minutes before a real Monday midnight would fall in last week.
    with time_machine.travel(NOW, tick=False):
        for i, user in enumerate(users):
            credit(session, user, walk.code, i + 1, NOW - dt.timedelta(minutes=10 - i))
        session.commit()
        client = api(users[0])
        body = client.get("/api/v1/leaderboards/residents?period=week&limit=2").get_json()
        assert body["items"] == [
            {"rank": 1, "name": "api3", "value": 400, "residents": None, "is_me": False},
            {"rank": 2, "name": "api2", "value": 300, "residents": None, "is_me": False},
        ]
        assert body["me"]["rank"] == 4 and body["me"]["value"] == 100 and body["period"] == "week"
        for period in ("month", "all"):
            assert client.get(f"/api/v1/leaderboards/residents?period={period}").status_code == 200
        for name in ("districts", "teams"):
            assert client.get(f"/api/v1/leaderboards/{name}").status_code == 200
        bad = client.get("/api/v1/leaderboards/residents?period=year")
        assert bad.status_code == 422 and "period" in bad.get_json()["errors"]
        assert client.get("/api/v1/leaderboards/cities").status_code == 404


def test_api_needs_sign_in_and_staff_see_no_me(api, make_user):
    assert api().get("/api/v1/leaderboards/residents").status_code == 401
    body = api(make_user(Role.OFFICIAL)).get("/api/v1/leaderboards/residents").get_json()
    assert body["me"] is None and body["items"] == []


def test_opt_out_is_a_setting_on_the_api_and_the_profile_page(api, client, session, resident):
    from .pages import csrf_from, login

    client_api = api(resident)
    assert client_api.get("/api/v1/game/settings").get_json() == {"hidden_from_boards": False}
    assert client_api.patch("/api/v1/game/settings", json={"hidden_from_boards": True}).get_json() == {
        "hidden_from_boards": True
    }
    login(client, resident)
    page = client.get("/me/profile").get_data(as_text=True)
    assert 'data-test="hide-from-boards" checked' in page
    response = client.post("/game/settings", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert client_api.get("/api/v1/game/settings").get_json() == {"hidden_from_boards": False}


def test_the_game_commands_verify_rebuild_sweep_and_write_recaps(app, session, make_user):
    from webapp.cli.game import game_cli

    walk = make_type(session, grams="100")
    user = make_user(nickname="cli")
    credit(session, user, walk.code, 3, dt.datetime.now(dt.UTC) - dt.timedelta(days=7))
    session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(game_cli, ["verify"]).output.strip() == "leaderboards and profiles ok"
    session.execute(BoardBucket.__table__.delete())
    session.commit()
    broken = runner.invoke(game_cli, ["verify"])
    assert broken.exit_code == 1 and "differ from the actions" in broken.output
    assert "rebuilt" in runner.invoke(game_cli, ["rebuild"]).output
    assert runner.invoke(game_cli, ["verify"]).exit_code == 0
    assert runner.invoke(game_cli, ["sweep"]).exit_code == 0
    assert runner.invoke(game_cli, ["recaps"]).output.strip() == "weekly recaps written: 1"


def test_the_top_is_kept_for_cache_seconds_while_the_readers_own_place_is_fresh(session, make_user, monkeypatch):
    walk = make_type(session, grams="100")
    a, b = make_user(nickname="ann"), make_user(nickname="bo")
    credit(session, a, walk.code, 5, city_time(MONDAY, 9))
    clock = [1000.0]
    monkeypatch.setattr(leaderboards.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(leaderboards, "_tops", {})

    def kept(viewer):
        return leaderboards.standings(session, viewer, "residents", "week", now=NOW, cache_seconds=2)

    assert table(kept(a)) == [(1, "ann", 500)]
    credit(session, b, walk.code, 9, city_time(MONDAY, 10))
    clock[0] += 1.5
    cached = kept(b)
    assert table(cached) == [(1, "ann", 500)]  # the top as read 1.5 s ago
    assert (cached.me.rank, cached.me.value) == (1, 900)  # but bo's own place is read now
    assert table(board(session, b)) == [(1, "bo", 900), (2, "ann", 500)]  # cache_seconds=0 reads it
    clock[0] += 1.0
    assert table(kept(b)) == [(1, "bo", 900), (2, "ann", 500)]  # 2.5 s later: read again
    assert kept(b).items[0].is_me and not kept(a).items[0].is_me  # is_me is the reader's, not the cache's
