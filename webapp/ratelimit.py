"""Keys for the rate limits: the client's address, the login being tried, the account at its second step."""

from flask import request, session
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .services.accounts import normalise_login


def client_address() -> str:
    return get_remote_address()


def login_key() -> str:
    """The account being signed into, so that one account is throttled from any address."""
    data = request.get_json(silent=True) if request.is_json else request.form
    login = (data or {}).get("login") if hasattr(data, "get") else None
    # Normalised as sign-in does, so that "+86 139-..." and "139..." share one counter.
    return f"login:{normalise_login(str(login))[:254]}" if login else f"login-ip:{get_remote_address()}"


def second_factor_key() -> str:
    """The account whose second factor is being tried, so wrong codes are counted per account."""
    pending = session.get("pending_2fa")
    user_id = pending.get("id") if isinstance(pending, dict) else None
    if user_id is None and current_user.is_authenticated:
        user_id = current_user.user.id
    return f"2fa:{user_id}" if user_id else f"2fa-ip:{get_remote_address()}"
