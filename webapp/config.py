"""One configuration, read from the environment and validated once at start."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from seeds import available_profiles, load_profile

ENVIRONMENTS = ("development", "production", "testing")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """A bad setting; its message is the one line printed before refusing to start."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value


def normalise_database_url(url: str) -> str:
    """Accept the plain postgresql:// form and route it to psycopg 3."""
    scheme = urlsplit(url).scheme
    if scheme in ("postgres", "postgresql"):
        return "postgresql+psycopg" + url[len(scheme) :]
    if scheme in ("postgresql+psycopg", "sqlite"):
        return url
    raise ConfigError(f"DATABASE_URL must start with postgresql:// or sqlite://, not {scheme or url!r}://")


def _replica_url(raw: str) -> str:
    """Empty (no replica) or a database URL like DATABASE_URL's, read-only by the app's choice."""
    if not raw:
        return ""
    try:
        return normalise_database_url(raw)
    except ConfigError as error:
        raise ConfigError(str(error).replace("DATABASE_URL", "DATABASE_REPLICA_URL", 1)) from None


def _secret_key(env: str, instance: Path, raw: str | None) -> str:
    if raw:
        if len(raw) < 16:
            raise ConfigError("SECRET_KEY must be at least 16 characters long")
        return raw
    if env != "development":
        raise ConfigError(f"SECRET_KEY is required when APP_ENV={env}")
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _province_key(name: str, raw: str | None) -> str:
    """Optional: the provincial export refuses to run without it; when given, long enough to be a key."""
    raw = (raw or "").strip()
    if raw and len(raw) < 32:
        raise ConfigError(f"{name} must be at least 32 characters long")
    return raw


@dataclass
class Config:
    """Everything the app reads from outside; `as_flask()` gives Flask's mapping."""

    APP_ENV: str = "development"
    DATABASE_URL: str = ""
    DATABASE_REPLICA_URL: str = ""
    SECRET_KEY: str = ""
    RATELIMIT_STORAGE_URI: str = "memory://"
    RATELIMIT_ENABLED: bool = True
    CITY_PROFILE: str = "dezhou"
    SESSION_IDLE_MINUTES: int = 60
    SESSION_ABSOLUTE_HOURS: int = 12
    TRUSTED_PROXIES: int = 0
    LOG_LEVEL: str = "INFO"
    BENCH_ENDPOINTS: bool = False
    PROVINCE_PSEUDONYM_KEY: str = ""
    PROVINCE_SIGNING_KEY: str = ""
    PROVINCE_EXPORT_DIR: str = ""
    STATION_DAILY_CAP_KG: int = 500  # kilograms one waste-sorting station may credit per city day
    LEADERBOARD_CACHE_SECONDS: int = 2  # how long each process keeps a board's top (0 in tests: off)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, instance_path: str = "instance") -> Config:
        env = dict(os.environ if environ is None else environ)
        app_env = env.get("APP_ENV", "development").strip().lower()
        if app_env not in ENVIRONMENTS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {app_env!r}")
        instance = Path(instance_path)
        default_db = f"sqlite:///{(instance / 'carbon.db').resolve()}"
        storage = env.get("RATELIMIT_STORAGE_URI", "memory://").strip()
        if urlsplit(storage).scheme not in ("memory", "redis", "rediss"):
            raise ConfigError(f"RATELIMIT_STORAGE_URI must be memory:// or redis://, not {storage!r}")
        profile = env.get("CITY_PROFILE", "dezhou").strip()
        if profile not in available_profiles():
            raise ConfigError(f"CITY_PROFILE {profile!r} is unknown; choose one of {', '.join(available_profiles())}")
        log_level = env.get("LOG_LEVEL", "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}")
        return cls(
            APP_ENV=app_env,
            DATABASE_URL=normalise_database_url(env.get("DATABASE_URL") or default_db),
            DATABASE_REPLICA_URL=_replica_url(env.get("DATABASE_REPLICA_URL", "").strip()),
            SECRET_KEY=_secret_key(app_env, instance, env.get("SECRET_KEY")),
            RATELIMIT_STORAGE_URI=storage,
            RATELIMIT_ENABLED=_bool("RATELIMIT_ENABLED", env.get("RATELIMIT_ENABLED", "true")),
            CITY_PROFILE=profile,
            SESSION_IDLE_MINUTES=_int("SESSION_IDLE_MINUTES", env.get("SESSION_IDLE_MINUTES", "60"), 1, 1440),
            SESSION_ABSOLUTE_HOURS=_int("SESSION_ABSOLUTE_HOURS", env.get("SESSION_ABSOLUTE_HOURS", "12"), 1, 24 * 30),
            TRUSTED_PROXIES=_int("TRUSTED_PROXIES", env.get("TRUSTED_PROXIES", "0"), 0, 5),
            LOG_LEVEL=log_level,
            BENCH_ENDPOINTS=_bool("BENCH_ENDPOINTS", env.get("BENCH_ENDPOINTS", "false")),
            PROVINCE_PSEUDONYM_KEY=_province_key("PROVINCE_PSEUDONYM_KEY", env.get("PROVINCE_PSEUDONYM_KEY")),
            PROVINCE_SIGNING_KEY=_province_key("PROVINCE_SIGNING_KEY", env.get("PROVINCE_SIGNING_KEY")),
            PROVINCE_EXPORT_DIR=env.get("PROVINCE_EXPORT_DIR", "").strip(),
            STATION_DAILY_CAP_KG=_int("STATION_DAILY_CAP_KG", env.get("STATION_DAILY_CAP_KG", "500"), 1, 100_000),
            LEADERBOARD_CACHE_SECONDS=_int(
                "LEADERBOARD_CACHE_SECONDS",
                env.get("LEADERBOARD_CACHE_SECONDS", "0" if app_env == "testing" else "2"),
                0,
                60,
            ),
        )

    def as_flask(self) -> dict:
        production = self.APP_ENV == "production"
        return {
            "APP_ENV": self.APP_ENV,
            "TESTING": self.APP_ENV == "testing",
            "SECRET_KEY": self.SECRET_KEY,
            "DATABASE_URL": normalise_database_url(self.DATABASE_URL),
            "DATABASE_REPLICA_URL": _replica_url(self.DATABASE_REPLICA_URL),
            "CITY_PROFILE": self.CITY_PROFILE,
            "RATELIMIT_STORAGE_URI": self.RATELIMIT_STORAGE_URI,
            "RATELIMIT_ENABLED": self.RATELIMIT_ENABLED,
            "RATELIMIT_HEADERS_ENABLED": True,
            # Redis unreachable: count in each worker's memory until it answers again (fail open to
            # per-process limits, never a 500); README "Rate limits".
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "SESSION_IDLE_MINUTES": self.SESSION_IDLE_MINUTES,
            "SESSION_ABSOLUTE_HOURS": self.SESSION_ABSOLUTE_HOURS,
            "TRUSTED_PROXIES": self.TRUSTED_PROXIES,
            "LOG_LEVEL": self.LOG_LEVEL,
            "PROVINCE_PSEUDONYM_KEY": self.PROVINCE_PSEUDONYM_KEY,
            "PROVINCE_SIGNING_KEY": self.PROVINCE_SIGNING_KEY,
            "PROVINCE_EXPORT_DIR": self.PROVINCE_EXPORT_DIR,
            "STATION_DAILY_CAP_KG": self.STATION_DAILY_CAP_KG,
            "LEADERBOARD_CACHE_SECONDS": self.LEADERBOARD_CACHE_SECONDS,
            "BENCH_ENDPOINTS": self.BENCH_ENDPOINTS and self.APP_ENV != "production",
            # Cookies: __Host- prefix and Secure only where HTTPS is guaranteed.
            "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
            "SESSION_COOKIE_SECURE": production,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_DURATION": 0,
            "PERMANENT_SESSION_LIFETIME": self.SESSION_ABSOLUTE_HOURS * 3600,
            "WTF_CSRF_CHECK_DEFAULT": False,
            "WTF_CSRF_TIME_LIMIT": None,
            "WTF_CSRF_SSL_STRICT": production,
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
            "JSON_SORT_KEYS": False,
            "BABEL_DEFAULT_LOCALE": "zh_CN",
            "BABEL_DEFAULT_TIMEZONE": load_profile(self.CITY_PROFILE)["timezone"],
            "API_TITLE": "Low-Carbon Dezhou API",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api",
            "OPENAPI_JSON_PATH": "v1/openapi.json",
            "PREFERRED_URL_SCHEME": "https" if production else "http",
            **self.extra,
        }
