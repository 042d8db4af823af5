"""Levels, streaks, badges and weekly recaps: the game follows credited CO2e, never credits."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import time_machine
from sqlalchemy import func, select

from models import ActionStatus, Role, UserBadge, WeeklyRecap
from webapp.services import actions, badges, families, gamification, ledger, levels, privacy, projector, recaps

from .carbon import make_type
from .game import city_time, credit
from .pages import login

ROOT = Path(__file__).resolve().parent.parent
MONDAY = dt.date(2026, 6, 8)  # a Monday


def badge_codes(session, user) -> list[str]:
    return sorted(session.scalars(select(UserBadge.badge_code).where(UserBadge.user_id == user.id)))


# --- levels ------------------------------------------------------------------------------------------


def test_level_follows_co2e_avoided_not_credits(session, resident, make_user):
    capped = make_type(session, grams="1000", cap_self=100, cap_evidenced=100)
    action = credit(session, resident, capped.code, 5, city_time(MONDAY))
    assert (action.co2e_grams, action.credits) == (5000, 100)
    admin = make_user(Role.ADMIN)
    ledger.adjust(session, admin, resident, 1_000_000, "test: credits are not CO2e")
    account = ledger.account_for(session, resident)
    level = gamification.summary(session, resident, account)["level"]
    assert account.balance == 1_000_100 and account.co2e_grams == 5000
    assert level["code"] == "sprout" and level["number"] == 2
    assert level["next"]["code"] == "seedling" and level["to_next_grams"] == 5000


def test_level_progress_is_the_share_of_the_way_to_the_next_threshold():
    progress = levels.progress_for(6000)
    assert (progress.level.code, progress.next.code) == ("sprout", "seedling")
    assert progress.fraction == 0.5 and progress.to_next_grams == 4000
    top = levels.progress_for(10**9)
    assert top.next is None and top.fraction == 1.0 and top.level.number == len(levels.catalogue())
    assert levels.progress_for(0).level.code == "seed"


def test_level_names_exist_in_both_languages_and_thresholds_increase():
    catalogue = levels.catalogue()
    assert [lv.number for lv in catalogue] == list(range(1, len(catalogue) + 1))
    assert all(lv.name_zh and lv.name_en for lv in catalogue)
    assert levels.as_dict(levels.progress_for(0), "en")["name"] == "Seed"
    assert levels.as_dict(levels.progress_for(0), "zh_CN")["name"] == "种子"


# --- streaks -----------------------------------------------------------------------------------------


def test_streak_counts_city_days_across_midnight_asia_shanghai(session, resident):
    walk = make_type(session, grams="100")
    late = city_time(MONDAY, 23, 50)  # 15:50 UTC
    early = city_time(MONDAY + dt.timedelta(days=1), 0, 10)  # 16:10 UTC, the same UTC day
    assert late.date() == early.date()
    credit(session, resident, walk.code, 1, late)
    credit(session, resident, walk.code, 1, early)
    account = ledger.account_for(session, resident)
    assert gamification.summary(session, resident, account, now=early)["streak_days"] == 2


def test_streak_breaks_after_a_gap_and_the_best_streak_is_kept(session, resident):
    walk = make_type(session, grams="100")
    for offset in (0, 1, 2, 4):
        credit(session, resident, walk.code, 1, city_time(MONDAY + dt.timedelta(days=offset)))
    account = ledger.account_for(session, resident)
    day4 = city_time(MONDAY + dt.timedelta(days=4), 20)
    summary = gamification.summary(session, resident, account, now=day4)
    assert (summary["streak_days"], summary["best_streak_days"]) == (1, 3)
    # Still 1 the next day (today is open), 0 the day after.
    assert gamification.summary(session, resident, account, now=day4 + dt.timedelta(days=1))["streak_days"] == 1
    assert gamification.summary(session, resident, account, now=day4 + dt.timedelta(days=2))["streak_days"] == 0


def test_actions_waiting_for_review_make_no_streak_and_no_badge(session, resident):
    needs = make_type(session, grams="100", needs_evidence=True)
    action = credit(session, resident, needs.code, 1, city_time(MONDAY), verified=False)
    assert action.status == ActionStatus.PENDING
    summary = gamification.summary(session, resident, ledger.account_for(session, resident), now=city_time(MONDAY))
    assert summary["streak_days"] == 0 and summary["badges"] == []


# --- badges ------------------------------------------------------------------------------------------


def test_first_bus_ride_earns_two_badges_once(session, resident):
    credit(session, resident, "bus", 5, city_time(MONDAY, 8))
    credit(session, resident, "bus", 5, city_time(MONDAY, 18))
    assert badge_codes(session, resident) == ["first_action", "first_bus"]


def test_seven_day_streak_badge_on_the_seventh_day(session, resident):
    for offset in range(6):
        credit(session, resident, "walk", 3000, city_time(MONDAY + dt.timedelta(days=offset)))
    assert "streak_7" not in badge_codes(session, resident)
    credit(session, resident, "walk", 3000, city_time(MONDAY + dt.timedelta(days=6)))
    assert "streak_7" in badge_codes(session, resident)
    assert "streak_30" not in badge_codes(session, resident)


def test_waste_sorting_master_needs_twenty_sortings_in_three_categories(session, resident):
    start = city_time(MONDAY, 7)
    for i in range(19):
        credit(session, resident, "waste_paper", 1, start + dt.timedelta(minutes=20 * i))
    credit(session, resident, "waste_paper", 1, start + dt.timedelta(hours=8))
    assert "waste_master" not in badge_codes(session, resident)  # 20, but one category
    credit(session, resident, "waste_glass", 1, start + dt.timedelta(hours=9))
    assert "waste_master" not in badge_codes(session, resident)
    credit(session, resident, "waste_metal", 1, start + dt.timedelta(hours=10))
    assert "waste_master" in badge_codes(session, resident)


def test_cyclist_and_green_purchase_rules_read_plain_facts():
    facts = badges.Facts(
        today=MONDAY, type_counts={"bike_own": 6, "bike_shared": 4}, family_counts={"travel": 10, "purchase": 1}
    )
    assert badges.RULES["cyclist"](facts) == 1.0
    assert badges.RULES["green_purchase"](facts) == 1.0
    assert badges.RULES["streak_7"](badges.Facts(today=MONDAY, best_streak=3)) == 3 / 7
    assert badges.RULES["green_family"](badges.Facts(today=MONDAY, family_grams=10**6, family_size=1)) == 0.0
    year = badges.Facts(today=MONDAY, first_day=MONDAY - dt.timedelta(days=365))
    assert badges.RULES["one_year"](year) == 1.0


def test_award_badge_for_a_campaign_challenge_awards_once_and_ignores_unknown_codes(session, resident):
    assert badges.award_badge(session, resident, "campaign_challenge", data={"campaign_id": 7}) is True
    assert badges.award_badge(session, resident, "campaign_challenge") is False
    assert badges.award_badge(session, resident, "no_such_badge") is False
    assert badge_codes(session, resident) == ["campaign_challenge"]


def test_every_badge_has_a_rule_names_and_a_local_svg_icon():
    catalogue = badges.catalogue()
    assert set(catalogue) == set(badges.RULES) | badges.AWARDED_ELSEWHERE
    for code, badge in catalogue.items():
        assert badge.name_zh and badge.name_en and badge.description_zh and badge.description_en, code
        svg = (ROOT / "static" / badge.icon).read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "<script" not in svg and "<image" not in svg, code
        assert not re.search(r"(href|src)=", svg), f"{code}: no external references"


def test_get_account_lists_badges_with_code_name_and_date(api, session, resident):
    credit(session, resident, "bus", 5, city_time(MONDAY, 8))
    session.commit()
    body = api(resident).get("/api/v1/account", headers={"Accept-Language": "en"}).get_json()
    assert {b["code"] for b in body["badges"]} == {"first_action", "first_bus"}
    first = next(b for b in body["badges"] if b["code"] == "first_bus")
    assert first["name"] == "First bus ride" and first["awarded_at"].startswith("2026-06-")  # request language
    assert body["level"]["code"] == "seed" and body["streak_days"] == 0 and body["co2e_grams"] == 52
    me = api(resident).get("/api/v1/game/me", headers={"Accept-Language": "en"}).get_json()
    assert next(b for b in me["badges"] if b["code"] == "first_bus")["name"] == "First bus ride"


def test_badge_catalogue_is_public_with_icons(client):
    body = client.get("/api/v1/badges", headers={"Accept-Language": "en"}).get_json()
    assert [b["code"] for b in body][:2] == ["first_action", "first_bus"]
    assert body[1]["name"] == "First bus ride" and body[1]["icon"] == "/static/img/badges/first_bus.svg"
    icon = client.get(body[1]["icon"])
    assert icon.status_code == 200
    icon.close()


def test_the_sweep_awards_the_one_year_badge_once(session, resident):
    credit(session, resident, "bus", 5, city_time(MONDAY))
    later = city_time(MONDAY + dt.timedelta(days=364))
    assert badges.sweep_badges(session, later) == 0
    year = city_time(MONDAY + dt.timedelta(days=365))
    assert badges.sweep_badges(session, year) == 1
    assert badges.sweep_badges(session, year) == 0
    assert "one_year" in badge_codes(session, resident)


def test_the_sweep_gives_the_family_badge_to_a_member_who_joined_later(session, make_user):
    first, second, late = make_user(), make_user(), make_user()
    family = families.create(session, first, "绿色之家")
    families.join(session, second, family.invite_code)
    heavy = make_type(session, grams="10000", cap_evidenced=10**6)
    credit(session, first, heavy.code, 5, city_time(MONDAY))
    assert "green_family" in badge_codes(session, first) and "green_family" in badge_codes(session, second)
    families.join(session, late, family.invite_code)
    assert "green_family" not in badge_codes(session, late)
    assert badges.sweep_badges(session, city_time(MONDAY, 13)) == 1
    assert "green_family" in badge_codes(session, late)


# --- weekly recaps -----------------------------------------------------------------------------------


def test_weekly_recap_is_written_once_per_resident_with_co2e_rank_and_next_badge(session, make_user):
    walk = make_type(session, grams="100")
    alice, bob, idle = make_user(), make_user(), make_user()
    credit(session, alice, walk.code, 5, city_time(MONDAY - dt.timedelta(days=3)))  # the week before
    credit(session, alice, walk.code, 3, city_time(MONDAY + dt.timedelta(days=1)))
    credit(session, bob, walk.code, 9, city_time(MONDAY + dt.timedelta(days=2)))
    next_monday = city_time(MONDAY + dt.timedelta(days=7), 6)
    assert recaps.weekly_recaps(session, next_monday) == 2
    assert recaps.weekly_recaps(session, next_monday + dt.timedelta(hours=5)) == 0
    data = session.scalar(select(WeeklyRecap).where(WeeklyRecap.user_id == alice.id)).data
    assert data["week_start"] == MONDAY.isoformat() and data["co2e_grams"] == 300
    assert data["rank"] == 2 and data["previous_rank"] == 1 and data["rank_change"] == -1
    assert data["actions"] == [{"type": walk.code, "count": 1, "co2e_grams": 300}]
    assert data["next_badge"]["code"] in badges.catalogue()
    assert session.scalar(select(func.count()).select_from(WeeklyRecap).where(WeeklyRecap.user_id == idle.id)) == 0


def test_recaps_show_on_the_home_page_and_the_recap_page(client, session, resident):
    walk = make_type(session, grams="100")
    credit(session, resident, walk.code, 5, city_time(MONDAY))
    recaps.weekly_recaps(session, city_time(MONDAY + dt.timedelta(days=7)))
    session.commit()
    login(client, resident)
    html = client.get("/game/recaps", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your week from 2026-06-08" in html and "0.50 kg CO2 avoided" in html
    assert "Your week from 2026-06-08" in client.get("/me/", headers={"Accept-Language": "en"}).get_data(as_text=True)


# --- pages and export --------------------------------------------------------------------------------


def test_home_shows_level_tree_streak_badges_and_rank(client, session, resident):
    now = city_time(MONDAY + dt.timedelta(days=3), 20)  # a Thursday: minutes before a Monday midnight are last week
    with time_machine.travel(now, tick=False):
        credit(session, resident, "bus", 10, now - dt.timedelta(minutes=5))
        session.commit()
        login(client, resident)
        html = client.get("/me/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    section = html[html.index('data-test="game-section"') :]
    assert "Level 1 · Seed" in section and '<svg class="tree stage-1"' in section
    assert 'data-test="streak">1 day<' in section and 'data-test="week-rank">#1<' in section
    assert "/static/img/badges/first_bus.svg" in section and "/static/css/game.css" in html
    assert "trees absorb in a year" in section and "NC State University" in section


def test_badges_page_shows_earned_and_locked_badges(client, session, resident):
    credit(session, resident, "bus", 5, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    session.commit()
    login(client, resident)
    html = client.get("/game/badges", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'class="earned" data-badge="first_bus"' in html and 'class="locked" data-badge="streak_30"' in html


def test_export_includes_badges_family_and_game_settings(session, resident):
    credit(session, resident, "bus", 5, city_time(MONDAY))
    families.create(session, resident, "我们家")
    data = privacy.export(session, resident)
    assert {b["code"] for b in data["badges"]} == {"first_action", "first_bus"}
    assert data["green_family"]["family"] == "我们家" and data["green_family"]["founder"] is True
    assert data["game"]["hidden_from_boards"] is False and data["game"]["first_credited_day"] == "2026-06-08"


def test_the_credit_hook_is_installed_once():
    gamification.install()
    assert projector.ON_BATCH.count(gamification.game_fold.fold_batch) == 1


def test_summary_is_stable_without_actions(session, resident):
    with time_machine.travel(city_time(MONDAY), tick=False):
        summary = gamification.summary(session, resident, ledger.account_for(session, resident))
    assert summary == {"level": summary["level"], "streak_days": 0, "best_streak_days": 0, "badges": []}
    assert summary["level"]["code"] == "seed" and summary["level"]["progress"] == 0


def test_every_game_message_has_a_chinese_translation_with_the_same_placeholders():
    """The game's msgids are in the Chinese catalog, and no translation drops or renames a placeholder."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
    from babel.messages.pofile import read_po

    keywords = {**DEFAULT_KEYWORDS, "N_": None, "_l": None}
    with (ROOT / "webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    sources = [
        ("python", p)
        for p in (
            "webapp/services/gamification.py",
            "webapp/services/badges.py",
            "webapp/services/boards.py",
            "webapp/services/leaderboards.py",
            "webapp/services/families.py",
            "webapp/services/recaps.py",
            "webapp/services/levels.py",
            "webapp/services/streaks.py",
            "webapp/api/gamification.py",
            "webapp/views/game.py",
            "webapp/schemas/gamification.py",
        )
    ]
    sources += [("jinja2", str(p.relative_to(ROOT))) for p in (ROOT / "webapp/templates/game").glob("*.html")]
    missing, placeholders = [], []
    for method, path in sources:
        for _line, message, _comments, _context in extract_from_file(method, ROOT / path, keywords=keywords):
            key = message if isinstance(message, str) else message[0]
            known = catalog.get(key)
            strings = (
                known.string
                if known is not None and isinstance(known.string, tuple)
                else ((known.string,) if known is not None else ("",))
            )
            if not all(strings):
                missing.append(key)
                continue
            if sorted(re.findall(r"%\(\w+\)s", key)) != sorted(re.findall(r"%\(\w+\)s", strings[0])):
                placeholders.append(key)
    assert not missing, f"untranslated (run tools/i18n.py): {missing}"
    assert not placeholders, f"placeholders differ: {placeholders}"


def test_the_running_game_state_equals_a_recomputation_also_for_back_dated_days(session, resident):
    from decimal import Decimal

    from models import Evidence, GameProfile
    from webapp.services import game_state

    walk = make_type(session, grams="100")
    for offset in (0, 1, 3, 4):
        credit(session, resident, walk.code, 1, city_time(MONDAY + dt.timedelta(days=offset)))
    profile = session.get(GameProfile, resident.id)
    assert (profile.streak, profile.best_streak) == (2, 2)
    late = city_time(MONDAY + dt.timedelta(days=4), 21)
    with time_machine.travel(late, tick=False):  # a trip of day 2 synced two days late fills the gap
        actions.log_action(
            session,
            resident,
            actions.ActionInput(type="bus", quantity=Decimal(3), occurred_at=city_time(MONDAY + dt.timedelta(days=2))),
            evidence=actions.Verified(Evidence.TRANSIT, "late-trip"),
            now=late,
        )
        projector.fold_all(session)
    session.refresh(profile)
    fresh = GameProfile(user_id=resident.id)
    game_state.recompute(session, fresh, resident)
    kept = (profile.streak, profile.best_streak, profile.first_day, profile.last_day)
    assert kept == (fresh.streak, fresh.best_streak, fresh.first_day, fresh.last_day)
    assert kept == (5, 5, MONDAY, MONDAY + dt.timedelta(days=4))
    assert profile.counts == fresh.counts == {"types": {walk.code: 4, "bus": 1}, "families": {"travel": 5}}
    assert "first_bus" in badge_codes(session, resident)
