"""Campaign pages for residents and the public: the campaigns with their rules, the inbox, home banners."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from models import Role, utcnow

from ..campaign_texts import template_helpers
from ..extensions import db
from ..security import public, roles_required
from ..services import budgets, campaigns, notices

bp = Blueprint("campaign_pages", __name__)
bp.app_context_processor(template_helpers)


@bp.app_context_processor
def _banners() -> dict:
    """`campaign_banners()` for the resident home page; it queries only when a template calls it."""

    def campaign_banners() -> list[notices.Banner]:
        if not current_user.is_authenticated or current_user.role != Role.RESIDENT:
            return []
        return notices.banners(db.session, current_user.user)

    return {"campaign_banners": campaign_banners}


@bp.route("/campaigns")
@public
def campaign_list():
    rows = list(db.session.scalars(campaigns.upcoming_query().limit(50)))
    now = utcnow()
    return render_template(
        "public/campaigns.html",
        rows=rows,
        damped_since=budgets.damped_since(db.session, now),
        damped_campaigns=budgets.damped_campaigns(db.session, now),
    )


@bp.route("/me/inbox")
@roles_required(Role.RESIDENT)
def inbox():
    return render_template("resident/inbox.html", items=notices.inbox(db.session, current_user.user))
