"""Accounts: self-registration of residents, staff created by admins, tokens, export and erasure."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ApiToken, AuditEvent, District, Role, User, utcnow

from ..errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from ..messages import N_
from . import passwords

PRIVACY_NOTICE_VERSION = "2026-11"
PHONE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)  # ASCII: \d also matches full-width digits
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
TOKEN_PREFIX = "lcd_"  # noqa: S105 (a prefix that makes leaked tokens recognisable, not a secret)
WEAK_MESSAGES = {
    "weak-short": N_("Use at least 8 characters."),
    "weak-long": N_("Use at most 128 characters."),
    "weak-common": N_("This password is too common; choose another."),
    "weak-personal": N_("Do not use your phone, e-mail or nickname in the password."),
}


@dataclass(frozen=True)
class Registration:
    password: str
    nickname: str
    district: str
    consent: bool
    phone: str | None = None
    email: str | None = None
    language: str | None = None


def normalise_phone(phone: str) -> str:
    digits = re.sub(r"[\s-]", "", phone)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def normalise_login(login: str) -> str:
    login = login.strip()
    return login.lower() if "@" in login else normalise_phone(login)


def district_by_code(session: Session, code: str) -> District:
    district = session.scalar(select(District).where(District.code == code))
    if district is None:
        raise Invalid.field("district", N_("Unknown district."))
    return district


def _check_login_fields(phone: str | None, email: str | None) -> tuple[str | None, str | None]:
    phone = normalise_phone(phone) if phone else None
    email = email.strip().lower() if email else None
    if not phone and not email:
        raise Invalid.field("phone", N_("Give a mobile phone number or an e-mail address."))
    if phone and not PHONE_RE.match(phone):
        raise Invalid.field("phone", N_("Not a valid mainland mobile number (11 digits starting with 1)."))
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        raise Invalid.field("email", N_("Not a valid e-mail address."))
    return phone, email


def check_password(password: str, *personal: str | None) -> None:
    problem = passwords.policy_problem(password, *personal)
    if problem:
        raise Invalid.field("password", WEAK_MESSAGES[problem])


def _check_nickname(nickname: str) -> str:
    nickname = " ".join(nickname.split())
    if not 1 <= len(nickname) <= 40:
        raise Invalid.field("nickname", N_("A nickname has 1 to 40 characters."))
    return nickname


def _login_taken(session: Session, phone: str | None, email: str | None) -> None:
    clauses = [User.phone == phone] if phone else []
    clauses += [User.email == email] if email else []
    if session.scalar(select(func.count()).select_from(User).where(or_(*clauses))):
        raise Conflict(N_("An account with this phone number or e-mail already exists."))


def _insert_user(session: Session, user: User) -> User:
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("An account with this phone number or e-mail already exists.")) from None
    return user


def register_resident(session: Session, data: Registration) -> User:
    """A resident signs up with explicit consent to the privacy notice; logins are unique."""
    if data.consent is not True:
        raise Invalid.field("consent", N_("You must agree to the privacy notice to register."))
    phone, email = _check_login_fields(data.phone, data.email)
    nickname = _check_nickname(data.nickname)
    check_password(data.password, phone, email and email.split("@")[0], nickname)
    district = district_by_code(session, data.district)
    _login_taken(session, phone, email)
    now = utcnow()
    user = User(
        role=Role.RESIDENT,
        phone=phone,
        email=email,
        password_hash=passwords.hash_password(data.password),
        nickname=nickname,
        district_id=district.id,
        language=data.language,
        consent_version=PRIVACY_NOTICE_VERSION,
        consented_at=now,
        created_at=now,
    )
    _insert_user(session, user)
    audit(session, user, "account.registered", user)
    return user


def create_user(
    session: Session,
    actor: User | None,
    *,
    role: Role,
    login: str,
    password: str,
    nickname: str | None = None,
    district: str | None = None,
) -> User:
    """Staff (and, for operators, residents) created by an admin or the CLI (actor None)."""
    if actor is not None and actor.role != Role.ADMIN:
        raise Forbidden(N_("Only an administrator can create accounts."))
    login = normalise_login(login)
    phone, email = (None, login) if "@" in login else (login, None)
    phone, email = _check_login_fields(phone, email)
    nickname = _check_nickname(nickname or login.split("@")[0])
    check_password(password, phone, email and email.split("@")[0])
    district_id = district_by_code(session, district).id if district else None
    if role == Role.RESIDENT and district_id is None:
        raise Invalid.field("district", N_("A resident needs a district."))
    _login_taken(session, phone, email)
    user = User(
        role=role,
        phone=phone,
        email=email,
        password_hash=passwords.hash_password(password),
        nickname=nickname,
        district_id=district_id,
    )
    _insert_user(session, user)
    audit(session, actor, "account.created", user, role=str(role), before=None, after=_account_state(user))
    return user


def _account_state(user: User) -> dict[str, Any]:
    return {"role": user.role, "login": user.email or user.phone, "nickname": user.nickname, "active": user.is_active}


def change_role(session: Session, actor: User, user_id: int, role: Role) -> User:
    """An admin moves a staff account to another staff role; residents and oneself are out of reach."""
    if actor.role != Role.ADMIN:
        raise Forbidden(N_("Only an administrator can change roles."))
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None or user.role == Role.RESIDENT:
        raise NotFound(N_("No such account."))
    if user.id == actor.id:
        raise Conflict(N_("You cannot change your own role."))
    if role == Role.RESIDENT:
        raise Invalid.field("role", N_("A staff account cannot become a resident."))
    if role == Role.MERCHANT and user.merchant_id is None:
        raise Invalid.field("role", N_("Merchant staff are attached to a merchant from the merchant pages."))
    before = _account_state(user)
    user.role = role
    user.session_version += 1  # the old role's sessions end
    session.flush()
    audit(session, actor, "account.role_changed", user, before=before, after=_account_state(user))
    return user


def authenticate(session: Session, login: str, password: str) -> User:
    """Same answer, in the same time, for an unknown login and a wrong password."""
    normal = normalise_login(login or "")
    user = None
    if normal:
        column = User.email if "@" in normal else User.phone
        user = session.scalar(select(User).where(column == normal, User.deleted_at.is_(None)))
    ok = passwords.verify(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        raise Unauthenticated(N_("Wrong login or password."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def end_all_sessions(session: Session, user: User) -> None:
    """Sign-out everywhere: every cookie carrying the old version stops working."""
    user.session_version += 1
    session.flush()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not passwords.verify(user.password_hash, current):
        raise Invalid.field("current_password", N_("The current password is wrong."))
    check_password(new, user.phone, user.email and user.email.split("@")[0], user.nickname)
    user.password_hash = passwords.hash_password(new)
    end_all_sessions(session, user)
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        token.revoked_at = token.revoked_at or utcnow()
    audit(session, user, "account.password_changed", user)


def set_language(session: Session, user: User, language: str) -> None:
    user.language = language
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise Invalid.field("name", N_("A token name has 1 to 80 characters."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_token_hash(raw))
    session.add(token)
    session.flush()
    audit(session, user, "token.issued", token, name=name)
    return token, raw


def revoke_token(session: Session, user: User, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(N_("No such token."))
    token.revoked_at = utcnow()
    audit(session, user, "token.revoked", token)


def user_for_token(session: Session, raw: str) -> User | None:
    token = session.scalar(_token_statement(), {"token_hash": _token_hash(raw)})
    if token is None or not token.user.is_active or token.user.deleted_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        token.last_used_at = now
    return token.user


@functools.cache
def _token_statement() -> Select:
    """Built once: every bearer request runs it."""
    return select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


# What other capabilities must also undo on erasure (the game: leave the family, leave the boards).
ON_ERASE: list[Callable[[Session, User], None]] = []


def erase(session: Session, user: User) -> None:
    """Erase personal data; the account row stays, anonymised, for the ledger and statistics."""
    if user.deleted_at is not None:
        raise NotFound(N_("No such account."))
    for hook in ON_ERASE:
        hook(session, user)
    user.phone = None
    user.email = None
    user.nickname = ""
    user.password_hash = None
    user.language = None
    user.is_active = False
    user.deleted_at = utcnow()
    user.session_version += 1
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.flush()
    audit(session, None, "account.erased", user)


def list_users(session: Session, role: Role | None = None, limit: int = 200) -> list[User]:
    stmt = select(User).where(User.deleted_at.is_(None)).order_by(User.id.desc()).limit(limit)
    if role is not None:
        stmt = stmt.where(User.role == role)
    return list(session.scalars(stmt))


def require_admin(user: User) -> None:
    """The one check behind every administrator-only service call that names no other message."""
    if user.role != Role.ADMIN:
        raise Forbidden(N_("Only an administrator can do this."))


def audit(
    session: Session,
    actor: User | None,
    action: str,
    target: object | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **data: Any,
) -> AuditEvent:
    """Append who did what to which object, with its state before and after; never changed later."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        data=_plain(data),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    session.add(event)
    session.flush()
    return event


def _plain(value: Any) -> Any:
    """JSON-safe copies: enums as their value, dates as ISO text, decimals as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)
