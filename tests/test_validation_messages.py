"""Validation messages are whole in both languages: every built-in message of marshmallow's fields and
validators and of webargs is translated, and no Chinese text carries English words."""

from __future__ import annotations

import inspect
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale
from marshmallow import fields, validate

from webapp.validation_messages import TEMPLATES, translate

CATALOG = Path(__file__).resolve().parent.parent / "webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
# Latin tokens a Chinese text may carry: codes, units, formats, header names and API values.
ALLOWED_LATIN = {
    "API", "CO2e", "CSRF", "CSV", "IP", "IPv4", "IPv6", "JPEG", "JSON", "MB", "NaN", "PNG", "UTF-8", "UUID",
    "WebP", "Wilson", "Unix", "YYYY-MM", "GP-XXXX-XXXX-XXXX", "Idempotency-Key", "X-Timestamp",
    "V", "S", "U", "N", "week", "month", "all", "otp", "FreeOTP",
}  # fmt: skip
PLACEHOLDERS = re.compile(r"\{[^}]*\}|%\([^)]*\)[sdif]|%[sdif]|<[^>]+>|&\w+;")
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "7"


def _render(message: str, **values: str) -> str:
    return string.Formatter().vformat(message, (), _Blank(values))


def _field_messages() -> set[str]:
    """Every default message of every marshmallow field, as the field renders it."""
    found = set()
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        if not issubclass(cls, fields.Field):
            continue
        messages: dict[str, str] = {}
        for base in reversed(cls.__mro__):
            messages.update(vars(base).get("default_error_messages", {}))
        obj_type = getattr(cls, "OBJ_TYPE", "datetime")
        for message in messages.values():
            for awareness in ("aware", "naive"):
                found.add(_render(message, obj_type=obj_type, awareness=awareness, input="7"))
    return found


def _validator_messages() -> set[str]:
    """The messages of marshmallow's validators, rendered as they fail."""
    cases = [
        (validate.Range(min=1, max=100), 0),
        (validate.Range(min=1), 0),
        (validate.Range(max=100), 101),
        (validate.Range(min=1, max=100, min_inclusive=False), 1),
        (validate.Range(min=1, max=100, max_inclusive=False), 100),
        (validate.Range(min=1, max=100, min_inclusive=False, max_inclusive=False), 1),
        (validate.Range(min=1, min_inclusive=False), 1),
        (validate.Range(max=100, max_inclusive=False), 100),
        (validate.Length(min=2), "a"),
        (validate.Length(max=1), "ab"),
        (validate.Length(min=2, max=3), "a"),
        (validate.Length(equal=2), "a"),
        (validate.Equal(3), 4),
        (validate.OneOf(["1", "2"]), "3"),
        (validate.ContainsOnly(["1"]), ["2"]),
        (validate.ContainsNoneOf(["1"]), ["1"]),
        (validate.NoneOf(["a"]), "a"),
        (validate.Regexp(r"^\d+$"), "x"),
        (validate.Email(), "x"),
        (validate.URL(), "x"),
        (validate.Predicate("isdigit"), "x"),
    ]
    found = set()
    for validator, bad in cases:
        with pytest.raises(Exception) as caught:
            validator(bad)
        found.update(caught.value.messages)
    return found


BUILT_IN = sorted(_field_messages() | _validator_messages() | {"Invalid JSON body.", "Unknown field."})


@pytest.mark.parametrize("message", BUILT_IN)
def test_every_built_in_message_has_a_whole_chinese_translation(app, message):
    with app.test_request_context(), force_locale("zh_CN"):
        chinese = translate(message)
    assert chinese != message, f"untranslated: {message!r}"
    assert not _english_words(chinese), f"{message!r} -> {chinese!r}"


def test_range_with_both_bounds_is_not_half_translated(app):
    """The regression of issue 14: "必须大于或等于 1 and less than or equal to 100。"."""
    with app.test_request_context(), force_locale("zh_CN"):
        assert translate("Must be greater than or equal to 1 and less than or equal to 100.") == (
            "必须大于或等于 1 且小于或等于 100。"
        )


def test_api_answers_a_range_error_wholly_in_chinese(client):
    body = client.get("/api/v1/rewards?limit=1000", headers={"Accept-Language": "zh-CN"}).get_json()
    assert body["code"] == 422
    assert body["errors"]["limit"] == ["必须大于或等于 1 且小于或等于 100。"]


def test_templates_are_distinct():
    assert len(TEMPLATES) == len(set(TEMPLATES))


def _english_words(text: str) -> list[str]:
    return [w for w in LATIN.findall(PLACEHOLDERS.sub(" ", text)) if w.rstrip(".") not in ALLOWED_LATIN]


def test_no_chinese_translation_carries_english_words():
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh)
    mixed = {}
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in texts:
            if message.id and _english_words(text or ""):
                mixed[str(message.id)] = text
    assert not mixed, f"Chinese texts with English words (translate them, or allow a code): {mixed}"
