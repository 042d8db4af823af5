"""Showing a service's refusal next to the form field it concerns."""

from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ..errors import DomainError


def show_error(form: FlaskForm, error: DomainError) -> None:
    for name, messages in (error.errors or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*list(field.errors), *(_(m) for m in messages)]
            continue
        for message in messages:
            flash(_(message), "error")
    if not error.errors:
        flash(_(error.message), "error")
