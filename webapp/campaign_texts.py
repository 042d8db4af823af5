"""Campaign words people read: status labels, multipliers, challenges and notices, in the reader's language.

Notices store a kind and numbers; their text is made here at reading time, so every notice exists in
both languages and a corrected translation corrects every notice.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import Campaign, CampaignStatus, Challenge, Notice, NoticeKind

from .i18n import current_language, localized
from .services import badges

STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("draft"),
    CampaignStatus.SCHEDULED: _l("scheduled"),
    CampaignStatus.ACTIVE: _l("running"),
    CampaignStatus.ENDED: _l("ended"),
    CampaignStatus.CANCELLED: _l("cancelled"),
}


def status_label(status: CampaignStatus | str) -> str:
    return str(STATUS_LABELS.get(CampaignStatus(status), status))


def factor_text(factor: Decimal) -> str:
    return f"×{factor.normalize():f}"


def multipliers_text(campaign: Campaign) -> str:
    return _(", ").join(f"{localized(m.action_type, 'name')} {factor_text(m.factor)}" for m in campaign.multipliers)


def challenge_text(challenge: Challenge) -> str:
    name = localized(challenge.action_type, "name")
    if challenge.bonus_credits and challenge.badge_code:
        return _(
            "%(count)s × %(type)s: %(bonus)s bonus credits and the badge “%(badge)s”",
            count=challenge.count,
            type=name,
            bonus=challenge.bonus_credits,
            badge=badge_name(challenge.badge_code),
        )
    if challenge.bonus_credits:
        return _(
            "%(count)s × %(type)s: %(bonus)s bonus credits",
            count=challenge.count,
            type=name,
            bonus=challenge.bonus_credits,
        )
    return _(
        "%(count)s × %(type)s: the badge “%(badge)s”",
        count=challenge.count,
        type=name,
        badge=badge_name(challenge.badge_code),
    )


@functools.cache
def _badge_names() -> dict[str, tuple[str, str]]:
    return {code: (badge.name_zh, badge.name_en) for code, badge in badges.catalogue().items()}


def badge_name(code: str | None) -> str:
    """A catalogue badge's name in the reader's language (the code itself if the catalogue lost it)."""
    names = _badge_names().get(code or "")
    if names is None:
        return code or ""
    return names[1] if current_language() == "en" else names[0]


def _when(value) -> str:
    return format_datetime(value, "short")


def _result(data: dict) -> str:
    if data.get("suppressed") or "residents" not in data:
        return _("Thank you to everyone who took part.")
    return _(
        "%(residents)s residents took part with %(actions)s green actions, avoiding %(kg)s kg of CO2e. Thank you!",
        residents=data["residents"],
        actions=data["actions"],
        kg=f"{data['co2e_grams'] / 1000:.1f}",
    )


def _budget_text(data: dict) -> str:
    if "campaign_id" in data:
        return _campaign_budget_text(data)
    figures = {"month": data.get("month", ""), "issued": data.get("issued", 0), "budget": data.get("budget", 0)}
    level = data.get("level")
    if level == "forecast":
        return _(
            "%(month)s: the month-end forecast (%(forecast)s credits) exceeds the budget of %(budget)s.",
            forecast=data.get("forecast", 0),
            **figures,
        )
    if level == "100":
        return _("%(month)s: %(issued)s credits issued, the budget of %(budget)s is used up.", **figures)
    return _("%(month)s: %(issued)s credits issued, 80%% of the budget of %(budget)s.", **figures)


def _campaign_budget_text(data: dict) -> str:
    name = data.get("campaign_en") if current_language() == "en" else data.get("campaign_zh")
    figures = {"campaign": name or "", "issued": data.get("issued", 0), "budget": data.get("budget", 0)}
    level = data.get("level")
    if level == "forecast":
        return _(
            "%(campaign)s: the forecast for the campaign's end (%(forecast)s credits) "
            "exceeds its budget of %(budget)s.",
            forecast=data.get("forecast", 0),
            **figures,
        )
    if level == "100":
        return _(
            "%(campaign)s: the campaign has added %(issued)s credits, its budget of %(budget)s is used up.", **figures
        )
    return _("%(campaign)s: the campaign has added %(issued)s credits, 80%% of its budget of %(budget)s.", **figures)


def notice_text(notice: Notice, campaign: Campaign | None, challenge: Challenge | None = None) -> tuple[str, str]:
    """(title, body) of a notice for the current reader."""
    name = localized(campaign, "name") if campaign is not None else ""
    kind = NoticeKind(notice.kind)
    if kind == NoticeKind.CAMPAIGN_STARTED:
        boost = multipliers_text(campaign)
        body = (
            _("Until %(end)s: %(multipliers)s.", end=_when(campaign.ends_at), multipliers=boost)
            if boost
            else _("Until %(end)s.", end=_when(campaign.ends_at))
        )
        return _("%(name)s has started", name=name), body
    if kind == NoticeKind.CAMPAIGN_ENDING:
        return (
            _("%(name)s ends soon", name=name),
            _("It ends at %(end)s: there is still time to take part.", end=_when(campaign.ends_at)),
        )
    if kind == NoticeKind.CAMPAIGN_ENDED:
        return _("%(name)s has ended", name=name), _result(notice.data or {})
    if kind == NoticeKind.CAMPAIGN_CANCELLED:
        return (_("%(name)s has been cancelled", name=name), _("Credits already earned during the campaign are kept."))
    data = notice.data or {}
    if kind == NoticeKind.BUDGET_ALERT:
        return _("Credit budget alert"), _budget_text(data)
    if kind == NoticeKind.CREDITS_EXPIRING:
        return (
            _("Credits expiring soon"),
            _(
                "Up to %(credits)s of your credits expire on %(day)s unless you spend them first.",
                credits=data.get("credits", 0),
                day=data.get("expires_on", ""),
            ),
        )
    if data.get("bonus_credits") and data.get("badge"):
        body = _(
            "You earned %(bonus)s bonus credits and the badge “%(badge)s”.",
            bonus=data["bonus_credits"],
            badge=badge_name(data["badge"]),
        )
    elif data.get("bonus_credits"):
        body = _("You earned %(bonus)s bonus credits.", bonus=data["bonus_credits"])
    else:
        body = _("You earned the badge “%(badge)s”.", badge=badge_name(data.get("badge")))
    return _("Challenge completed: %(name)s", name=name), body


def pick(texts: dict[str, str]) -> str:
    """A calendar template's text ({"zh_CN": ..., "en": ...}) in the reader's language."""
    return texts.get(current_language()) or texts["zh_CN"]


def template_helpers() -> dict:
    return {
        "campaign_status_label": status_label,
        "multipliers_text": multipliers_text,
        "challenge_text": challenge_text,
        "notice_text": notice_text,
        "factor_text": factor_text,
        "pick": pick,
        "badge_name": badge_name,
    }
