"""HTML forms (Flask-WTF: CSRF on every one); the rules themselves live in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional

from models import Role


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


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class StaffForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[
            (Role.MERCHANT.value, _l("Merchant staff")),
            (Role.PUBLICITY.value, _l("Publicity Department")),
            (Role.OFFICIAL.value, _l("Official")),
            (Role.ADMIN.value, _l("Administrator")),
        ],
    )
    login = StringField(_l("Mobile phone or e-mail"), validators=[DataRequired(), Length(max=254)])
    nickname = StringField(_l("Display name"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=1024)])


class EmptyForm(FlaskForm):
    """Buttons that only need the CSRF token (sign out, language, delete)."""
