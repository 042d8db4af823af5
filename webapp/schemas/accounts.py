"""Accounts: registration, login, tokens, the caller's profile."""

from marshmallow import Schema, fields, validate

from ..i18n import LANGUAGES
from ..services import privacy
from .common import StrictBoolean


class RegisterIn(Schema):
    phone = fields.String(load_default=None, validate=validate.Length(max=20))
    email = fields.String(load_default=None, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=1024))
    nickname = fields.String(required=True, validate=validate.Length(min=1, max=80))
    district = fields.String(required=True, validate=validate.Length(min=1, max=20))
    consent = StrictBoolean(required=True)
    language = fields.String(load_default=None, validate=validate.OneOf(list(LANGUAGES)))


class LoginIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    otp = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "staff enrolled in two-factor sign-in: the authenticator code or a recovery code"},
    )


class TokenIn(LoginIn):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))


class TokenOut(Schema):
    id = fields.Integer()
    token = fields.String()
    name = fields.String()


class CsrfOut(Schema):
    csrf_token = fields.String()


class UserOut(Schema):
    id = fields.Integer()
    nickname = fields.String()
    district = fields.Function(lambda u: u.district.code if u.district else None)
    roles = fields.Function(lambda u: [str(u.role)])
    language = fields.Function(lambda u: u.language)


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=1024))
    new_password = fields.String(required=True, validate=validate.Length(max=1024))


class LanguageIn(Schema):
    language = fields.String(required=True, validate=validate.OneOf(list(LANGUAGES)))


def export_schema() -> type[Schema]:
    """The personal-data export: one section per entry of privacy.SECTIONS, each as stored."""
    sections = {name: fields.Raw(required=True) for name, _ in privacy.SECTIONS}
    return Schema.from_dict(sections, name="ExportOut")
