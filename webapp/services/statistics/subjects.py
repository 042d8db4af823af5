"""Subjects: whose distinct residents a cell counts ("*" any credited action, a type, a family, ...)."""

from __future__ import annotations

from models import ActionType, EntryKind, Family

ALL = "*"
GREEN_TRIPS = "tg:1"
OTHER_TRIPS = "tg:0"
ISSUED = "l:issue"  # residents credited (earned or bonus) by the ledger
REDEEMED = "l:redeem"  # residents who redeemed (or got a voucher refunded)

LEDGER_SUBJECTS = {
    EntryKind.EARN: ISSUED,
    EntryKind.BONUS: ISSUED,
    EntryKind.REDEEM: REDEEMED,
    EntryKind.REFUND: REDEEMED,
}
ISSUE_KINDS = ("earn", "bonus")
REDEEM_KINDS = ("redeem", "refund")


def of_type(type_id: int) -> str:
    return f"t:{type_id}"


def of_family(family: Family | str) -> str:
    return f"f:{family}"


def trip_subject(action_type: ActionType) -> str | None:
    """Green or other trip, for the green-travel share; None for a type outside it."""
    if action_type.family != Family.TRAVEL or action_type.green_travel is None:
        return None
    return GREEN_TRIPS if action_type.green_travel else OTHER_TRIPS


def for_action(action_type: ActionType) -> list[str]:
    found = [ALL, of_family(action_type.family), of_type(action_type.id)]
    trip = trip_subject(action_type)
    return found + ([trip] if trip else [])
