"""The Publicity Department's campaign and calendar forms (times in city time; rules live in the services)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models import Campaign

from ..services.campaigns import CampaignInput, ChallengeInput

CHALLENGE_ROWS = 3
TIME_FORMAT = "%Y-%m-%dT%H:%M"


class MultiplierRow(Form):
    code = HiddenField()
    factor = DecimalField(_l("Multiplier"), places=None, validators=[Optional()])


class ChallengeRow(Form):
    action = SelectField(_l("Action type"), validate_choice=False)
    count = IntegerField(_l("Number of actions"), validators=[Optional(), NumberRange(min=1, max=1000)])
    bonus_credits = IntegerField(_l("Bonus credits"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])
    badge = SelectField(_l("Badge"), validate_choice=False)


class CampaignForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=4000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=4000)])
    starts_at = DateTimeLocalField(_l("Starts (city time)"), format=TIME_FORMAT, validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends (city time)"), format=TIME_FORMAT, validators=[DataRequired()])
    districts = SelectMultipleField(
        _l("Districts (none ticked: every district)"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    multipliers = FieldList(FormField(MultiplierRow))
    challenges = FieldList(FormField(ChallengeRow), min_entries=CHALLENGE_ROWS)

    def setup(
        self,
        type_choices: list[tuple[str, str]],
        district_choices: list[tuple[str, str]],
        badge_choices: list[tuple[str, str]],
    ) -> None:
        """Choices, and one multiplier row per action type (a submitted form brings its own rows)."""
        self.districts.choices = district_choices
        for row in self.challenges:
            row.action.choices = type_choices
            row.badge.choices = badge_choices
        if not len(self.multipliers):
            for code, _label in type_choices:
                self.multipliers.append_entry({"code": code, "factor": None})

    def fill(self, campaign: Campaign, zone: ZoneInfo) -> None:
        self.name.data, self.name_en.data = campaign.name_zh, campaign.name_en
        self.description.data, self.description_en.data = campaign.description_zh, campaign.description_en
        self.starts_at.data = campaign.starts_at.astimezone(zone).replace(tzinfo=None)
        self.ends_at.data = campaign.ends_at.astimezone(zone).replace(tzinfo=None)
        self.districts.data = [d.code for d in campaign.districts]
        factors = {m.action_type.code: m.factor for m in campaign.multipliers}
        for row in self.multipliers:
            row.factor.data = factors.get(row.code.data)
        rows = [
            {"action": c.action_type.code, "count": c.count, "bonus_credits": c.bonus_credits, "badge": c.badge_code}
            for c in campaign.challenges
        ]
        choices, badge_choices = self.challenges[0].action.choices, self.challenges[0].badge.choices
        while len(self.challenges) < max(CHALLENGE_ROWS, len(rows) + 1):
            row = self.challenges.append_entry()
            row.action.choices, row.badge.choices = choices, badge_choices
        for row, data in zip(self.challenges, rows, strict=False):
            row.action.data, row.count.data = data["action"], data["count"]
            row.bonus_credits.data, row.badge.data = data["bonus_credits"], data["badge"]

    def to_input(self, zone: ZoneInfo) -> CampaignInput:
        return CampaignInput(
            name=self.name.data or "",
            name_en=self.name_en.data or None,
            description=self.description.data or "",
            description_en=self.description_en.data or None,
            starts_at=self.starts_at.data.replace(tzinfo=zone),
            ends_at=self.ends_at.data.replace(tzinfo=zone),
            districts=list(self.districts.data or []),
            multipliers={r.code.data: r.factor.data for r in self.multipliers if r.factor.data is not None},
            challenges=[
                ChallengeInput(r.action.data, r.count.data, r.bonus_credits.data or 0, r.badge.data or None)
                for r in self.challenges
                if r.count.data
            ],
        )

    def changes(self, zone: ZoneInfo, *, live: bool) -> dict[str, Any]:
        """What the form says, as a partial edit; a started campaign's frozen fields are not on the form."""
        data = self.to_input(zone).__dict__
        keep = ("name", "name_en", "description", "description_en", "ends_at") if live else tuple(data)
        changes = {k: data[k] for k in keep}
        if changes.get("name_en") is None:
            changes["name_en"] = changes["name"]
        if changes.get("description_en") is None:
            changes["description_en"] = changes["description"]
        if not live:
            changes["challenges"] = [c.__dict__ for c in data["challenges"]]
        return changes


class CalendarRow(Form):
    code = HiddenField()
    include = BooleanField(_l("Create"), default=True)
    starts_on = DateField(_l("First day"), validators=[Optional()])
    days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(min=1, max=60)])


class CalendarForm(FlaskForm):
    rows = FieldList(FormField(CalendarRow))
    as_drafts = BooleanField(_l("Create as drafts (schedule each one later)"))

    def chosen(self) -> tuple[dict[str, tuple[dt.date | None, int | None]], set[str]]:
        overrides = {r.code.data: (r.starts_on.data, r.days.data) for r in self.rows}
        return overrides, {r.code.data for r in self.rows if r.include.data}
