"""Staff two-factor sign-in: TOTP codes used once per time step, single-use recovery codes, admin resets."""

from __future__ import annotations

import secrets

import pyotp
import segno
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from models import STAFF_ROLES, ApiToken, RecoveryCode, Role, User, utcnow

from ..errors import Conflict, Forbidden, NotFound, Unauthenticated
from ..messages import N_
from . import accounts, passwords

ISSUER = "Low-Carbon Dezhou"
RECOVERY_CODES = 10
WRONG_CODE = N_("Wrong or already used code.")
CODE_NEEDED = N_("This account uses two-factor sign-in: give the 6-digit code from your authenticator app (otp).")
ENROL_FIRST = N_("Administrators must set up two-factor sign-in first: sign in on the web pages to enrol.")


def enrolled(user: User) -> bool:
    return user.totp_enrolled_at is not None


def required(user: User) -> bool:
    """A staff account that has enrolled needs its second factor at every sign-in."""
    return user.role in STAFF_ROLES and enrolled(user)


def must_enrol(user: User) -> bool:
    """Administrators cannot work without a second factor."""
    return user.role == Role.ADMIN and not enrolled(user)


def begin_enrolment(session: Session, user: User) -> str:
    """A new secret, kept until a first code confirms it (starting again replaces it)."""
    if user.role not in STAFF_ROLES:
        raise Forbidden(N_("Two-factor sign-in is for staff accounts."))
    if enrolled(user):
        raise Conflict(N_("Two-factor sign-in is already set up."))
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email or user.phone or "", issuer_name=ISSUER)


def qr_svg(user: User) -> str:
    """The enrolment QR code drawn here, as inline SVG (no outside service sees the secret)."""
    return segno.make(provisioning_uri(user), error="m").svg_inline(scale=4, dark="#1b4332", light="#ffffff")


def confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """The first valid code switches the factor on; the recovery codes are returned once."""
    if enrolled(user) or not user.totp_secret:
        raise Conflict(N_("Start the set-up again."))
    if not _use_totp(session, user, code):
        raise Unauthenticated(WRONG_CODE)
    user.totp_enrolled_at = utcnow()
    codes = _new_recovery_codes(session, user)
    accounts.audit(session, user, "two_factor.enrolled", user, before={"enrolled": False}, after={"enrolled": True})
    return codes


def verify(session: Session, user: User, code: str | None) -> str:
    """A TOTP code of an unused time step, or an unused recovery code; 'totp' or 'recovery'."""
    code = "".join((code or "").split()).replace("-", "").lower()
    if not code or not enrolled(user):
        raise Unauthenticated(CODE_NEEDED if not code else WRONG_CODE)
    if code.isdigit() and len(code) == 6:
        if _use_totp(session, user, code):
            return "totp"
    elif _use_recovery_code(session, user, code):
        accounts.audit(session, user, "two_factor.recovery_used", user)
        return "recovery"
    raise Unauthenticated(WRONG_CODE)


def _use_totp(session: Session, user: User, code: str) -> bool:
    """Claim the code's time step with a conditional UPDATE: a replay, even concurrent, finds it taken."""
    totp = pyotp.TOTP(user.totp_secret or "")
    now_step = totp.timecode(utcnow())
    for step in (now_step - 1, now_step, now_step + 1):  # one step of clock drift either way
        if secrets.compare_digest(totp.generate_otp(step), code):
            claimed = session.execute(
                update(User)
                .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            session.expire(user, ["totp_last_step"])
            return claimed.rowcount == 1
    return False


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    for row in unused:
        if passwords.verify(row.code_hash, code):
            spent = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return spent.rowcount == 1
    return False


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=passwords.hash_password(c.replace("-", ""))) for c in codes)
    session.flush()
    return codes


def regenerate_codes(session: Session, user: User, code: str) -> list[str]:
    """New recovery codes replace all the old ones; a current code proves the authenticator is at hand."""
    if not enrolled(user):
        raise Conflict(N_("Two-factor sign-in is not set up."))
    if not _use_totp(session, user, "".join((code or "").split())):
        raise Unauthenticated(WRONG_CODE)
    left = remaining_codes(session, user)
    codes = _new_recovery_codes(session, user)
    accounts.audit(
        session, user, "two_factor.codes_regenerated", user, before={"unused": left}, after={"unused": len(codes)}
    )
    return codes


def remaining_codes(session: Session, user: User) -> int:
    return len(
        list(
            session.scalars(
                select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            )
        )
    )


def reset(session: Session, actor: User, user_id: int) -> User:
    """An admin clears a staff member's factor: their sessions and tokens end; they enrol again."""
    if actor.role != Role.ADMIN:
        raise Forbidden(N_("Only an administrator can reset two-factor sign-in."))
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None or user.role not in STAFF_ROLES:
        raise NotFound(N_("No such account."))
    before = {"enrolled": enrolled(user), "recovery_codes": remaining_codes(session, user)}
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = utcnow()
    accounts.end_all_sessions(session, user)
    accounts.audit(
        session, actor, "two_factor.reset", user, before=before, after={"enrolled": False, "recovery_codes": 0}
    )
    return user
