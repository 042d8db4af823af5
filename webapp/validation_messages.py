"""marshmallow's built-in messages, marked for translation and matched back after formatting."""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext

from .messages import N_

TEMPLATES = [
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid date."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("String does not match expected pattern."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than {min}."),
    N_("Must be less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be one of: {choices}."),
]


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    for template in TEMPLATES:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", pattern)
        compiled.append((re.compile(f"^{pattern}$"), template))
    return compiled


def translate(message: str) -> str:
    """Translate a (possibly formatted) marshmallow message, or any plain msgid."""
    for pattern, template in _patterns():
        match = pattern.match(message)
        if match:
            return gettext(template).format(**match.groupdict())
    return gettext(message)


def translate_errors(errors):
    """Walk marshmallow's nested error structure, translating every string."""
    if isinstance(errors, str):
        return translate(errors)
    if isinstance(errors, list):
        return [translate_errors(e) for e in errors]
    if isinstance(errors, dict):
        return {key: translate_errors(value) for key, value in errors.items()}
    return errors
