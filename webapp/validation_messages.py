"""marshmallow's built-in messages, marked for translation and matched back after formatting."""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext

from .messages import N_

# Every message marshmallow's fields and validators and webargs can answer with, as marshmallow renders
# it ({placeholders} stand for the values it fills in); tests/test_validation_messages.py proves the
# list complete against the installed libraries and the Chinese free of English.
TEMPLATES = [
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Invalid JSON body."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid date."),
    N_("Not a valid time."),
    N_("Not a valid aware datetime."),
    N_("Not a valid naive datetime."),
    N_("Not a valid aware time."),
    N_("Not a valid naive time."),
    N_("Not a valid aware date."),
    N_("Not a valid naive date."),
    N_('"{input}" cannot be formatted as a datetime.'),
    N_('"{input}" cannot be formatted as a date.'),
    N_('"{input}" cannot be formatted as a time.'),
    N_("{input} cannot be formatted as a timedelta."),
    N_("Not a valid period of time."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("String does not match expected pattern."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be equal to {other}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Must be one of: {choices}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("One or more of the choices you made was in: {values}."),
]


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    # The most specific first: "Must be ... {min} and ... {max}." before "Must be ... {min}.", whose
    # placeholder would otherwise swallow " and less than ...".
    for template in sorted(TEMPLATES, key=lambda t: len(re.sub(r"\{\w+\}", "", t)), reverse=True):
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
