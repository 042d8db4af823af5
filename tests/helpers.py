"""Test helpers: a JSON client with CSRF, a user factory, and a race runner for concurrency tests."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import text, update
from sqlalchemy.orm import Session, object_session

from models import Role, User, utcnow
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.services import accounts

_numbers = itertools.count(1)


class ApiClient:
    """Wraps the test client: JSON bodies, the X-CSRFToken header after sign-in."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.headers: dict[str, str] = {}

    def sign_in(self, login: str, password: str, otp: str | None = None) -> None:
        body = {"login": login, "password": password, **({"otp": otp} if otp else {})}
        response = self.client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.get_json()
        self.refresh_csrf()

    def refresh_csrf(self) -> None:
        self.headers["X-CSRFToken"] = self.client.get("/api/v1/auth/csrf").get_json()["csrf_token"]

    def _call(self, method: str, path: str, json=None, headers=None, **kwargs):
        merged = {**self.headers, **(headers or {})}
        return self.client.open(path, method=method, json=json, headers=merged, **kwargs)

    def get(self, path, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self._call("POST", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self._call("PUT", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self._call("PATCH", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self._call("DELETE", path, **kwargs)


def make_user_factory(session: Session, password: str):
    def make_user(
        role: Role = Role.RESIDENT, *, district: str = "371402", nickname: str | None = None, login: str | None = None
    ) -> User:
        n = next(_numbers)
        login = login or f"13{n:09d}"
        user = accounts.create_user(
            session,
            None,
            role=role,
            login=login,
            password=password,
            nickname=nickname or f"{role.value}-{n}",
            district=district if role == Role.RESIDENT else None,
        )
        if role == Role.ADMIN:  # administrators cannot work without a second factor: enrol them
            user.totp_secret = pyotp.random_base32()
            user.totp_enrolled_at = utcnow()
        session.commit()
        return user

    return make_user


def fresh_otp(user: User) -> str | None:
    """A valid authenticator code for an enrolled user, as if a new time step had begun (the used step is
    forgotten first, so that a test may sign the same person in twice within 30 seconds)."""
    if user.totp_enrolled_at is None or not user.totp_secret:
        return None
    owner = object_session(user)
    if owner is not None:
        owner.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
        owner.commit()
    return pyotp.TOTP(user.totp_secret).now()


def login_body(user: User, password: str) -> dict:
    """What a person types to sign in: login, password and, when enrolled, the current code."""
    otp = fresh_otp(user)
    return {"login": user.phone or user.email, "password": password, **({"otp": otp} if otp else {})}


def purge_audit_events(conn) -> None:
    """Empty the append-only audit table between committed tests, lifting its guard triggers meanwhile."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off, this transaction
        conn.execute(text("DELETE FROM audit_events"))
        conn.execute(text("SET LOCAL session_replication_role = origin"))
        return
    triggers = conn.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
    ).all()
    for name, _ in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    conn.execute(text("DELETE FROM audit_events"))
    for _, sql in triggers:
        conn.exec_driver_sql(sql)


def race(n: int, work) -> list:
    """Run work(i) in n threads released at the same instant; return results or exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # reported to the test, which asserts on it
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def race_sessions(app, n: int, work: Callable[[Session, int], object]) -> list[str]:
    """Run work(session, i) in n threads released together, each in its own session and committed;
    return each thread's outcome in order: "ok" or the name of the DomainError that refused it."""
    barrier = threading.Barrier(n, timeout=60)

    def attempt(i: int) -> str:
        with app.app_context():
            session = db.new_session()
            try:
                barrier.wait()
                work(session, i)
                session.commit()
                return "ok"
            except DomainError as error:
                session.rollback()
                return type(error).__name__
            finally:
                session.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(attempt, range(n)))
