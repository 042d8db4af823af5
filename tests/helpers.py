"""Test helpers: a JSON client with CSRF, a user factory, and a race runner for concurrency tests."""

from __future__ import annotations

import itertools
import threading

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from models import Role, User
from webapp.services import accounts

_numbers = itertools.count(1)


class ApiClient:
    """Wraps the test client: JSON bodies, the X-CSRFToken header after sign-in."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.headers: dict[str, str] = {}

    def sign_in(self, login: str, password: str) -> None:
        response = self.client.post("/api/v1/auth/login", json={"login": login, "password": password})
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
        session.commit()
        return user

    return make_user


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
