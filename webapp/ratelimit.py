"""Keys for the rate limits: the client's address and the login being tried."""

from flask import request
from flask_limiter.util import get_remote_address

from .services.accounts import normalise_login


def client_address() -> str:
    return get_remote_address()


def login_key() -> str:
    """The account being signed into, so that one account is throttled from any address."""
    data = request.get_json(silent=True) if request.is_json else request.form
    login = (data or {}).get("login") if hasattr(data, "get") else None
    # Normalised as sign-in does, so that "+86 139-..." and "139..." share one counter.
    return f"login:{normalise_login(str(login))[:254]}" if login else f"login-ip:{get_remote_address()}"
