"""Language choice (the user's setting, then the session, then Accept-Language; zh_CN by default)."""

from __future__ import annotations

from flask import request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import ActionStatus, EntryKind, Role

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"


def select_locale() -> str:
    # As loaded, never by a query: the page for a lost database connection must find its language too.
    user_language = current_user.loaded("language") if current_user else None
    if user_language in LANGUAGES:
        return user_language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"], default=DEFAULT_LANGUAGE)
    return "zh_CN" if best in ("zh_CN", "zh") else best


def current_language() -> str:
    """The language code of this request, as in LANGUAGES (Babel spells zh_CN as zh_Hans_CN)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LANGUAGE


def localized(obj: object, field: str) -> str:
    """`name_zh` / `name_en` style columns, by the current language."""
    suffix = "en" if current_language() == "en" else "zh"
    return getattr(obj, f"{field}_{suffix}") or getattr(obj, f"{field}_zh")


ROLE_LABELS = {
    Role.RESIDENT: _l("Resident"),
    Role.MERCHANT: _l("Merchant staff"),
    Role.PUBLICITY: _l("Publicity Department"),
    Role.OFFICIAL: _l("Official"),
    Role.ADMIN: _l("Administrator"),
    Role.ATTENDANT: _l("Station attendant"),
}


def role_label(role: Role | str | None) -> str:
    return str(ROLE_LABELS.get(Role(role), role)) if role else ""


STATUS_LABELS = {
    ActionStatus.CREDITED: _l("credited"),
    ActionStatus.PENDING: _l("waiting for review"),
    ActionStatus.REJECTED: _l("rejected"),
    ActionStatus.DUPLICATE: _l("duplicate"),
}
ENTRY_LABELS = {
    EntryKind.EARN: _l("Earned"),
    EntryKind.BONUS: _l("Bonus"),
    EntryKind.REDEEM: _l("Redeemed"),
    EntryKind.REFUND: _l("Refund"),
    EntryKind.EXPIRE: _l("Expired"),
    EntryKind.ADJUST: _l("Adjustment"),
}
CONFIDENCE_LABELS = {
    "V": _l("verified in data files or several consistent sources"),
    "S": _l("secondary source, to be checked against the original"),
    "U": _l("unverified assumption, to be checked before launch"),
}


def label_filters() -> dict:
    return {
        "role_label": role_label,
        "status_label": lambda s: str(STATUS_LABELS.get(ActionStatus(s), s)),
        "entry_label": lambda k: str(ENTRY_LABELS.get(EntryKind(k), k)),
        "confidence_label": lambda c: str(CONFIDENCE_LABELS.get(c, c)),
    }
