"""The command-line contract (API.md "Operations")."""

from __future__ import annotations

from models import EntryKind, Role
from webapp.services import accounts, ledger

from .conftest import PASSWORD


def test_seed_city_is_idempotent(app, committed):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "city"])
    second = runner.invoke(args=["seed", "city"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "11 districts (0 new)" in second.output
    assert "0 new factor versions, 0 new action types" in second.output


def test_users_create_makes_staff_and_refuses_bad_input_in_one_line(app, committed):
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=["users", "create", "--role", "official", "--login", "stats@dezhou.example", "--password", PASSWORD]
    )
    assert ok.exit_code == 0, ok.output
    weak = runner.invoke(
        args=["users", "create", "--role", "admin", "--login", "a@dezhou.example", "--password", "123456"]
    )
    assert weak.exit_code != 0
    assert len(weak.output.strip().splitlines()) == 1
    resident = runner.invoke(
        args=["users", "create", "--role", "resident", "--login", "13611112222", "--password", PASSWORD]
    )
    assert resident.exit_code != 0  # a resident needs a district


def test_ledger_verify_passes_then_names_a_broken_account(app, committed):
    user = accounts.create_user(
        committed, None, role=Role.RESIDENT, login="13611113333", password=PASSWORD, district="371402"
    )
    account = ledger.account_for(committed, user)
    ledger.credit(committed, account, EntryKind.EARN, 70, ("action", 1))
    committed.commit()
    runner = app.test_cli_runner()
    good = runner.invoke(args=["ledger", "verify"])
    assert good.exit_code == 0, good.output
    assert "ledger ok" in good.output
    account.balance = 71
    committed.commit()
    bad = runner.invoke(args=["ledger", "verify"])
    assert bad.exit_code == 1
    assert f"account {account.id}" in bad.output
    account.balance = 70  # leave it reconciled for the committed fixture's own check
    committed.commit()
