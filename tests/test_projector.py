"""The projector folds every committed action and entry into the derived figures exactly once: in
batches of any size, when ids commit out of order, when run again, and a bonus only once."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from models import Board, BoardScore, EntryKind, GameProfile, Outbox, Role, StatActions
from webapp.services import boards, campaign_rules, game_state, ledger, projector
from webapp.services.statistics import verify as stats_verify

from .campaign_support import at, bonus_entries, completions, log, make_campaign
from .carbon import make_type
from .conftest import PASSWORD
from .game import real_commits  # noqa: F401 (a fixture)
from .helpers import make_user_factory
from .pages import login


def derived(session) -> tuple:
    """Every folded figure this module compares: roll-ups, board rows, profiles."""
    scores = sorted(tuple(r) for r in session.execute(select(BoardScore.board, BoardScore.period, BoardScore.value)))
    profiles = sorted(
        (p.user_id, p.streak, p.best_streak, p.last_day, str(p.counts)) for p in session.scalars(select(GameProfile))
    )
    return stats_verify.rows_of(session), scores, profiles


def consistent(session) -> list[str]:
    """What differs from a recomputation (the rebuild is rolled back, as the verify commands do)."""
    savepoint = session.begin_nested()
    try:
        return boards.verify(session) + game_state.verify_profiles(session) + stats_verify.differences(session)
    finally:
        savepoint.rollback()


def activity(session, make_user, n: int = 3):
    """Residents of one district logging alternately over two days, with a redemption."""
    bus = make_type(session, grams="100")
    people = [make_user(Role.RESIDENT, district="371402") for _ in range(n)]
    for hour in range(4):
        for person in people:
            log(session, person, bus, "1", occurred_at=at(days=hour // 2, hours=hour))
    account = ledger.account_for(session, people[0])
    ledger.debit(session, account, EntryKind.REDEEM, 50, ("redemption", people[0].id))
    return people, bus


def test_the_request_leaves_the_derived_figures_to_the_projector(session, make_user):
    activity(session, make_user)
    assert projector.backlog(session).rows == 13  # 12 actions (each with its earn) and one redemption
    assert session.scalar(select(StatActions.actions).limit(1)) is None
    assert projector.fold_all(session) == 13
    assert projector.backlog(session).rows == 0
    assert consistent(session) == []


def test_running_the_projector_again_changes_nothing(session, make_user):
    activity(session, make_user)
    projector.fold_all(session)
    before = derived(session)
    assert projector.fold_all(session) == 0
    assert derived(session) == before
    assert consistent(session) == []


def test_batches_of_one_fold_the_same_figures_as_one_batch(session, make_user):
    activity(session, make_user)
    savepoint = session.begin_nested()
    projector.fold_all(session)
    whole = derived(session)
    savepoint.rollback()
    assert projector.backlog(session).rows == 13
    assert projector.fold_all(session, limit=1) == 13
    assert derived(session) == whole


def test_a_row_that_commits_after_a_higher_id_was_folded_is_still_folded(session, make_user):
    activity(session, make_user, n=2)
    late = session.execute(select(Outbox).order_by(Outbox.id).limit(1)).scalar_one()
    row = {"id": late.id, "action_id": late.action_id, "entry_id": late.entry_id, "created_at": late.created_at}
    session.execute(delete(Outbox).where(Outbox.id == late.id))  # not committed yet, as far as a fold can see
    projector.fold_all(session)
    assert consistent(session) != []  # that action is missing from the figures
    session.execute(insert(Outbox), row)  # it commits now, below the ids already folded
    assert projector.fold_all(session) == 1
    assert consistent(session) == []


def test_a_profile_created_before_the_fold_counts_each_action_once(session, make_user):
    people, _bus = activity(session, make_user, n=1)
    game_state.locked_profile(session, people[0])  # the resident opens their settings first
    projector.fold_all(session)
    assert game_state.verify_profiles(session) == []
    assert session.get(GameProfile, people[0].id).counts["types"] != {}


def test_a_challenge_bonus_is_paid_once_by_the_projector_and_the_sweep(session, resident, make_user):
    bus = make_type(session, grams="100")
    campaign = make_campaign(
        session,
        make_user(Role.PUBLICITY),
        starts=at(),
        ends=at(days=7),
        challenges=[{"type": bus.code, "count": 2, "bonus_credits": 70}],
        now=at(hours=-1),
    )
    challenge = campaign.challenges[0]
    for hour in (1, 2):
        log(session, resident, bus, "1", occurred_at=at(hours=hour))
    assert campaign_rules.award_completed_challenges(session, at(hours=3)) == 1  # the sweep gets there first
    projector.fold_all(session)
    projector.fold_all(session)
    assert (completions(session, challenge.id), bonus_entries(session, challenge.id)) == (1, 1)
    assert ledger.verify(session) == [] and consistent(session) == []


def test_readyz_shows_the_backlog_and_its_age(client, session, make_user, fold):
    activity(session, make_user, n=1)
    session.commit()
    detail = client.get("/readyz").get_json()["projector"]
    assert detail["backlog"] == 4 + 1 and detail["lag_seconds"] >= 0
    fold()
    assert client.get("/readyz").get_json()["projector"] == {"backlog": 0, "lag_seconds": 0.0}


def test_the_verify_commands_pass_then_name_what_differs(app, real_commits):  # noqa: F811
    people, _bus = activity(real_commits, make_user_factory(real_commits, PASSWORD), n=2)
    real_commits.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["stats", "verify"]).exit_code == 0  # drains the backlog first
    assert runner.invoke(args=["game", "verify"]).exit_code == 0
    assert projector.backlog(real_commits).rows == 0
    real_commits.execute(update(StatActions).values(actions=StatActions.actions + 1))
    real_commits.execute(update(GameProfile).where(GameProfile.user_id == people[0].id).values(best_streak=99))
    real_commits.commit()
    stats = runner.invoke(args=["stats", "verify"])
    game = runner.invoke(args=["game", "verify"])
    assert stats.exit_code != 0 and "differ from a rebuild" in stats.output
    assert game.exit_code != 0 and f"profile {people[0].id}" in game.output
    assert real_commits.scalar(select(BoardScore.value).where(BoardScore.board == Board.RESIDENT.value).limit(1))


def test_the_admin_users_page_shows_the_backlog(client, session, make_user, fold):
    activity(session, make_user, n=1)
    login(client, make_user(Role.ADMIN))
    assert "待汇总：5 行" in client.get("/admin/users").get_data(as_text=True)
    fold()
    assert "待汇总：0 行" in client.get("/admin/users").get_data(as_text=True)
