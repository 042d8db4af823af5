"""Forms and labels shared by the merchant, rewards and merchant-admin pages (rules live in the services)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from models import Funder, MerchantCategory, MerchantStatus, RedemptionStatus

from ..services import voucher_codes

MERCHANT_STATUS_LABELS = {
    MerchantStatus.PENDING: _l("waiting for approval"),
    MerchantStatus.APPROVED: _l("approved"),
    MerchantStatus.SUSPENDED: _l("suspended"),
    MerchantStatus.REJECTED: _l("rejected"),
}
CATEGORY_LABELS = {
    MerchantCategory.SUPERMARKET: _l("Supermarket"),
    MerchantCategory.RESTAURANT: _l("Restaurant"),
    MerchantCategory.CAFE: _l("Café or tea house"),
    MerchantCategory.RETAIL: _l("Shop"),
    MerchantCategory.APPLIANCES: _l("Household appliances"),
    MerchantCategory.SERVICES: _l("Services"),
    MerchantCategory.OTHER: _l("Other"),
}
VOUCHER_LABELS = {
    RedemptionStatus.ISSUED: _l("ready to use"),
    RedemptionStatus.FULFILLED: _l("used"),
    RedemptionStatus.CANCELLED: _l("cancelled, credits returned"),
    RedemptionStatus.EXPIRED: _l("expired, credits returned"),
}
FUNDER_LABELS = {
    Funder.MERCHANT: _l("the merchant"),
    Funder.CITY: _l("the city"),
}
DECISION_LABELS = {
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "suspend": _l("Suspend"),
    "reinstate": _l("Reinstate"),
}


def template_helpers() -> dict:
    return {
        "merchant_status_label": lambda s: str(MERCHANT_STATUS_LABELS.get(MerchantStatus(s), s)),
        "category_label": lambda c: str(CATEGORY_LABELS.get(MerchantCategory(c), c)),
        "voucher_label": lambda s: str(VOUCHER_LABELS.get(RedemptionStatus(s), s)),
        "voucher_code": voucher_codes.display,
        "funder_label": lambda f: str(FUNDER_LABELS.get(Funder(f), f)),
    }


class ApplicationForm(FlaskForm):
    name = StringField(_l("Business name"), validators=[DataRequired(), Length(max=80)])
    district = SelectField(_l("District"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(
        _l("Category"), choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()]
    )
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=40)])
    contact_phone = TelField(_l("Contact phone"), validators=[DataRequired(), Length(max=20)])


class RewardForm(FlaskForm):
    title = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=80)])
    title_en = StringField(_l("Title (English, optional)"), validators=[Optional(), Length(max=80)])
    description = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=2000)])
    description_en = TextAreaField(_l("Description (English, optional)"), validators=[Optional(), Length(max=2000)])
    cost = IntegerField(_l("Cost in credits"), validators=[InputRequired(), NumberRange(min=1, max=10_000_000)])
    stock = IntegerField(_l("Stock"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    per_resident_limit = IntegerField(
        _l("Limit per resident"), default=1, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    valid_from = DateTimeLocalField(_l("Valid from"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    valid_until = DateTimeLocalField(_l("Valid until"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    value_yuan = DecimalField(
        _l("Value of one reward in yuan (optional)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
    )
    image = FileField(_l("Image (PNG, JPEG or WebP, at most 1 MB; optional)"))

    def value_fen(self) -> int | None:
        return None if self.value_yuan.data is None else round(self.value_yuan.data * 100)

    def moments(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The two local times the merchant typed, in the city's time zone."""
        return self.valid_from.data.replace(tzinfo=zone), self.valid_until.data.replace(tzinfo=zone)


class FundingForm(FlaskForm):
    funded_by = SelectField(
        _l("Paid for by"), choices=[SelectChoice(f.value, label) for f, label in FUNDER_LABELS.items()]
    )


class GreenPurchaseForm(FlaskForm):
    category = SelectField(_l("Green purchase"), validators=[DataRequired()])
    quantity = DecimalField(_l("Quantity"), places=None, validators=[DataRequired()])
    member_code = StringField(
        _l("Resident's member code (optional: credit at once)"), validators=[Optional(), Length(max=40)]
    )


class MerchantStaffForm(FlaskForm):
    login = StringField(_l("Mobile phone or e-mail"), validators=[DataRequired(), Length(max=254)])
    nickname = StringField(_l("Display name"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=1024)])


class AttachStaffForm(FlaskForm):
    user = SelectField(_l("Existing merchant-staff account"), coerce=int)


class CapForm(FlaskForm):
    daily_issuance_cap = IntegerField(
        _l("Daily cap for certified purchases (credits)"),
        validators=[InputRequired(), NumberRange(min=0, max=10_000_000)],
    )


class DecisionForm(FlaskForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])
