"""HTML forms (Flask-WTF: CSRF on every one); the rules themselves live in the services."""

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Length, Optional

from models import Role, utcnow


class RegisterForm(FlaskForm):
    phone = TelField(_l("Mobile phone"), validators=[Optional(), Length(max=20)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    nickname = StringField(_l("Nickname"), validators=[DataRequired(), Length(max=40)])
    district = SelectField(_l("District"), validators=[DataRequired()])
    consent = BooleanField(_l("I have read and agree to the privacy notice"))


class LoginForm(FlaskForm):
    login = StringField(_l("Mobile phone or e-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"},
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class StaffForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice(Role.MERCHANT.value, _l("Merchant staff")),
            SelectChoice(Role.PUBLICITY.value, _l("Publicity Department")),
            SelectChoice(Role.OFFICIAL.value, _l("Official")),
            SelectChoice(Role.ADMIN.value, _l("Administrator")),
        ],
    )
    login = StringField(_l("Mobile phone or e-mail"), validators=[DataRequired(), Length(max=254)])
    nickname = StringField(_l("Display name"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=1024)])


class EmptyForm(FlaskForm):
    """Buttons that only need the CSRF token (sign out, language, delete)."""


class LogForm(FlaskForm):
    """One green action; the time defaults to now, in the city's time zone."""

    quantity = DecimalField(_l("Quantity"), places=None, validators=[DataRequired()])
    occurred_at = DateTimeLocalField(_l("When (leave empty for now)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    evidence_code = StringField(_l("Evidence code (optional)"), validators=[Optional(), Length(max=120)])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])

    def occurred_moment(self, zone: ZoneInfo) -> dt.datetime:
        if self.occurred_at.data is None:
            return utcnow()
        return self.occurred_at.data.replace(tzinfo=zone)


class FactorVersionForm(FlaskForm):
    grams_per_unit = DecimalField(_l("Grams CO2e avoided per unit"), places=None, validators=[DataRequired()])
    effective_from = DateField(_l("In force from (city day)"), validators=[DataRequired()])
    source = StringField(_l("Source"), validators=[DataRequired(), Length(max=2000)])
    formula = StringField(_l("Formula"), validators=[Optional(), Length(max=2000)])
    year = IntegerField(_l("Year of the data"), validators=[DataRequired()])
    confidence = SelectField(
        _l("Confidence"),
        choices=[
            SelectChoice("V", _l("V: verified")),
            SelectChoice("S", _l("S: secondary source")),
            SelectChoice("U", _l("U: unverified")),
        ],
    )
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=2000)])


def _policies(damp: str) -> list[SelectChoice]:
    return [
        SelectChoice("notify", _l("Only notify the admins; every credit keeps being issued")),
        SelectChoice("damp", damp),
    ]


class BudgetChangeForm(FlaskForm):
    """A budget's figure and what happens at 100%; the month or campaign is the budget's own."""

    credits = IntegerField(_l("Credits to issue at most"), validators=[DataRequired()])
    policy = SelectField(
        _l("At 100% of the budget"),
        choices=_policies(_l("Notify; base credits continue, campaigns at x1 once the forecast exceeds the budget")),
    )


class BudgetForm(BudgetChangeForm):
    month = StringField(_l("Month (YYYY-MM)"), validators=[DataRequired(), Length(max=7)])


class CampaignBudgetChangeForm(BudgetChangeForm):
    """A campaign budget's figure: damping stops that campaign's multipliers, not every campaign's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.policy.choices = _policies(
            _l("Notify; once the forecast exceeds the budget, this campaign's multipliers stop (base credits continue)")
        )


class CampaignBudgetForm(CampaignBudgetChangeForm):
    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[DataRequired()], validate_choice=False)
