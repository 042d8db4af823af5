"""Password hashing (argon2id) and the password policy (ASVS 6.2: length, common passwords)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from seeds import SEEDS_DIR

MIN_LENGTH = 8
MAX_LENGTH = 128
# OWASP's floor for argon2id: m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_COMMON = frozenset(
    line.strip().lower()
    for line in (SEEDS_DIR / "common_passwords.txt").read_text(encoding="utf-8").splitlines()
    if line.strip()
)
# Verified when the login is unknown so that both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-timing")


def configure(time_cost: int, memory_cost_kib: int) -> None:
    """Tests lower the cost; production keeps the OWASP floor."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not-a-real-password-just-timing")


def policy_problem(password: str, *personal: str | None) -> str | None:
    """The reason a password is refused (English msgid, translated by the caller), or None."""
    if len(password) < MIN_LENGTH:
        return "weak-short"
    if len(password) > MAX_LENGTH:
        return "weak-long"
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        return "weak-common"
    if any(p and len(p) >= 4 and p.lower() in lowered for p in personal):
        return "weak-personal"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
