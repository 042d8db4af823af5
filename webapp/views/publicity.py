"""The Publicity Department's pages: the campaign calendar, create, edit, schedule, cancel, a preview of
what residents will see, live participation, and the yearly calendar in one step."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_login import current_user

from models import Campaign, Notice, NoticeKind, Role, utcnow

from ..campaign_texts import badge_name, notice_text, pick, template_helpers
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm
from ..i18n import LANGUAGES, localized
from ..security import roles_required
from ..services import badges, campaign_calendar, campaign_lifecycle, campaigns, city, methodology, notices
from ..services.city import city_zone
from .forms_util import show_error
from .publicity_forms import CalendarForm, CampaignForm

bp = Blueprint("publicity", __name__, url_prefix="/publicity")
bp.app_context_processor(template_helpers)


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = city_zone(db.session)
    return (dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone))


@bp.route("/")
@roles_required(Role.PUBLICITY)
def index():
    zone = city_zone(db.session)
    year = request.args.get("year", type=int) or utcnow().astimezone(zone).year
    year = min(max(year, campaign_calendar.FIRST_YEAR), campaign_calendar.LAST_YEAR)
    start, end = _year_bounds(year)
    months: dict[int, list[Campaign]] = {}
    for campaign in campaigns.in_period(db.session, start, end):
        months.setdefault(max(campaign.starts_at.astimezone(zone), start).month, []).append(campaign)
    rows = [(format_date(dt.date(year, month, 1), "MMMM"), found) for month, found in sorted(months.items())]
    return render_template("publicity/index.html", year=year, months=rows)


def _setup(form: CampaignForm) -> None:
    types = [(p.type.code, localized(p.type, "name")) for p in methodology.published_types(db.session)]
    badge_choices = [("", _("No badge")), *((code, badge_name(code)) for code in badges.badge_codes())]
    form.setup(types, [(d.code, localized(d, "name")) for d in city.districts(db.session)], badge_choices)


def _type_names() -> dict[str, str]:
    return {t.code: localized(t, "name") for t in methodology.action_types(db.session, include_inactive=True)}


def _show(form: CampaignForm, error: DomainError) -> None:
    """Field messages next to their fields; the nested multiplier and challenge messages as alerts."""
    nested = {k: (error.errors or {}).pop(k) for k in ("multipliers", "challenges") if k in (error.errors or {})}
    names = _type_names()
    for detail in nested.values():
        items = detail.items() if isinstance(detail, dict) else [("", detail)]
        for where, messages in items:
            flat = messages if isinstance(messages, list) else [m for ms in messages.values() for m in ms]
            label = names.get(where) or (_("Challenge %(n)s", n=int(where) + 1) if where.isdigit() else "")
            for message in flat:
                flash(f"{label}: {_(message)}" if label else _(message), "error")
    if error.errors or not nested:
        show_error(form, error)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@roles_required(Role.PUBLICITY)
def create():
    form = CampaignForm()
    _setup(form)
    zone = city_zone(db.session)
    if form.validate_on_submit():
        try:
            campaign = campaigns.create(db.session, current_user.user, form.to_input(zone))
        except DomainError as error:
            _show(form, error)
            return render_template("publicity/form.html", form=form, campaign=None, names=_type_names()), error.status
        flash(_("Campaign scheduled: %(name)s.", name=localized(campaign, "name")), "success")
        return redirect(url_for("publicity.detail", campaign_id=campaign.id))
    status = 422 if form.is_submitted() else 200
    return render_template("publicity/form.html", form=form, campaign=None, names=_type_names()), status


def _keep_precise(changes: dict, campaign: Campaign, zone) -> dict:
    """The form shows minutes: an unchanged minute keeps the stored instant (seconds and all)."""
    for key in ("starts_at", "ends_at"):
        stored = getattr(campaign, key)
        if key in changes and changes[key] == stored.astimezone(zone).replace(second=0, microsecond=0):
            changes[key] = stored
    return changes


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PUBLICITY)
def edit(campaign_id: int):
    campaign = campaigns.get(db.session, campaign_id)
    zone, now = city_zone(db.session), utcnow()
    if campaigns.is_over(campaign, now):
        flash(_(campaigns.over_message(campaign)), "error")
        return redirect(url_for("publicity.detail", campaign_id=campaign.id))
    live = campaigns.started(campaign, now)
    form = CampaignForm()
    _setup(form)
    if not form.is_submitted():
        form.fill(campaign, zone)
    elif live:
        form.starts_at.data = campaign.starts_at.astimezone(zone).replace(tzinfo=None)  # not on the form
    if form.validate_on_submit():
        changes = _keep_precise(form.changes(zone, live=live), campaign, zone)
        try:
            campaigns.update_campaign(db.session, current_user.user, campaign.id, changes, now=now)
        except DomainError as error:
            _show(form, error)
            return render_template(
                "publicity/form.html", form=form, campaign=campaign, live=live, names=_type_names()
            ), error.status
        flash(_("Campaign saved."), "success")
        return redirect(url_for("publicity.detail", campaign_id=campaign.id))
    status = 422 if form.is_submitted() else 200
    return render_template("publicity/form.html", form=form, campaign=campaign, live=live, names=_type_names()), status


def _preview(campaign: Campaign) -> list[dict]:
    """What residents will see, in each language: the banner at the start, the reminder, the result."""
    samples = [
        (NoticeKind.CAMPAIGN_STARTED, {}),
        (NoticeKind.CAMPAIGN_ENDING, {}),
        (NoticeKind.CAMPAIGN_ENDED, {"residents": 1200, "actions": 5400, "co2e_grams": 2_350_000}),
    ]
    shown = []
    for code, label in LANGUAGES.items():
        with force_locale(code):
            banner = notices.Banner(
                Notice(kind=NoticeKind.CAMPAIGN_STARTED, campaign_id=campaign.id),
                campaign,
                [notices.Progress(ch, 0, False) for ch in campaign.challenges],
            )
            html = render_template("resident/_campaign_banners.html", banners=[banner], preview=True)
            texts = [
                notice_text(Notice(kind=kind, campaign_id=campaign.id, data=data), campaign) for kind, data in samples
            ]
        shown.append({"language": label, "code": code, "banner": html, "notices": texts})
    return shown


@bp.route("/campaigns/<int:campaign_id>")
@roles_required(Role.PUBLICITY)
def detail(campaign_id: int):
    campaign = campaigns.get(db.session, campaign_id)
    now = utcnow()
    return render_template(
        "publicity/detail.html",
        campaign=campaign,
        form=EmptyForm(),
        now=now,
        over=campaigns.is_over(campaign, now),
        live=campaigns.started(campaign, now),
        participation=campaign_lifecycle.participation(db.session, campaign, now),
        preview=_preview(campaign),
        reminder_at=campaign_lifecycle.remind_at(campaign),
        sent=[n.kind for n in notices.of_campaign(db.session, campaign)],
    )


@bp.route("/campaigns/<int:campaign_id>/cancel", methods=["POST"])
@roles_required(Role.PUBLICITY)
def cancel(campaign_id: int):
    if EmptyForm().validate_on_submit():
        try:
            campaigns.cancel(db.session, current_user.user, campaign_id)
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(_("Campaign cancelled."), "success")
    return redirect(url_for("publicity.detail", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/schedule", methods=["POST"])
@roles_required(Role.PUBLICITY)
def schedule(campaign_id: int):
    if EmptyForm().validate_on_submit():
        try:
            campaigns.schedule(db.session, current_user.user, campaign_id)
        except DomainError as error:
            flash(_(error.message), "error")
            for messages in (error.errors or {}).values():
                for message in messages if isinstance(messages, list) else []:
                    flash(_(message), "error")
        else:
            flash(_("Campaign scheduled."), "success")
    return redirect(url_for("publicity.detail", campaign_id=campaign_id))


@bp.route("/calendar/<int:year>", methods=["GET", "POST"])
@roles_required(Role.PUBLICITY)
def calendar(year: int):
    form = CalendarForm()
    try:
        proposals = campaign_calendar.propose(db.session, year)
    except DomainError as error:
        flash(_(error.message), "error")
        return redirect(url_for("publicity.index"))
    if not form.is_submitted():
        for p in proposals:
            form.rows.append_entry(
                {"code": p.template.code, "include": p.existing is None, "starts_on": p.starts_on, "days": p.days}
            )
    if form.validate_on_submit():
        chosen, include = form.chosen()
        usual = {p.template.code: (p.starts_on, p.days) for p in proposals}
        # An unchanged date is no override: Low Carbon Day then follows a moved Publicity Week.
        overrides = {
            code: campaign_calendar.Override(
                None if start == usual.get(code, (None,))[0] else start,
                None if days == usual.get(code, (None, None))[1] else days,
            )
            for code, (start, days) in chosen.items()
        }
        status = campaigns.CampaignStatus.DRAFT if form.as_drafts.data else campaigns.CampaignStatus.SCHEDULED
        try:
            created, skipped = campaign_calendar.instantiate(
                db.session, current_user.user, year, overrides, only=include, status=status
            )
        except DomainError as error:
            show_error(form, error)
            return render_template("publicity/calendar.html", form=form, year=year, proposals=proposals), 422
        flash(_("%(n)s campaigns created.", n=len(created)), "success")
        for item in skipped:
            flash(f"{_template_name(item.code)}: {_(item.reason)}", "info")
        return redirect(url_for("publicity.index", year=year))
    status = 422 if form.is_submitted() else 200
    return render_template("publicity/calendar.html", form=form, year=year, proposals=proposals), status


def _template_name(code: str) -> str:
    template = next((t for t in campaign_calendar.templates() if t.code == code), None)
    return pick(template.name) if template else code
