"""Codes read aloud at a counter: random, unguessable, with a check character that catches typos.

11 random characters from the 30-letter alphabet of services.members carry 11 × log2(30) ≈ 54 bits;
a 12th character is a Luhn mod 30 check (every single wrong character and most swaps of two
neighbours are caught before the database is asked). Shown in groups of four: XXXX-XXXX-XXXX.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .members import ALPHABET, random_code

T = TypeVar("T")

RANDOM_LENGTH = 11
LENGTH = RANDOM_LENGTH + 1
_BASE = len(ALPHABET)
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def check_character(body: str) -> str:
    """Luhn mod N over the alphabet (the character that makes the weighted sum divisible by N)."""
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * _INDEX[char]
        total += addend // _BASE + addend % _BASE
        factor = 1 if factor == 2 else 2
    return ALPHABET[(_BASE - total % _BASE) % _BASE]


def new_code() -> str:
    body = random_code(RANDOM_LENGTH)
    return body + check_character(body)


def normalise(raw: str, prefix: str = "") -> str | None:
    """The stored form of a typed or scanned code (no separators, upper case), or None when mistyped."""
    text = "".join(raw.split()).upper().replace("-", "")
    if prefix and len(text) == len(prefix) + LENGTH and text.startswith(prefix):
        text = text[len(prefix) :]
    if len(text) != LENGTH or any(c not in _INDEX for c in text):
        return None
    if check_character(text[:-1]) != text[-1]:
        return None
    return text


def display(code: str, prefix: str = "") -> str:
    grouped = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
    return f"{prefix}-{grouped}" if prefix else grouped


def insert_unique(session: Session, make: Callable[[str], T]) -> T:
    """Insert the row `make(code)` builds; a code collision (about 2**-54 a pair) just draws again."""
    for _ in range(5):
        row = make(new_code())
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        return row
    raise RuntimeError("could not draw a unique code")
