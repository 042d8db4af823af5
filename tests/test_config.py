"""Configuration is read once from the environment and refuses bad settings with one clear line."""

from __future__ import annotations

import stat

import pytest

from webapp.config import Config, ConfigError

GOOD = {"APP_ENV": "testing", "SECRET_KEY": "a-secret-key-long-enough", "DATABASE_URL": "sqlite:///x.db"}


def load(tmp_path, **overrides) -> Config:
    env = {**GOOD, **overrides}
    return Config.from_env({k: v for k, v in env.items() if v is not None}, instance_path=str(tmp_path))


def refusal(tmp_path, **overrides) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **overrides)
    message = str(caught.value)
    assert message and "\n" not in message, "a config error is one line"
    return message


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"DATABASE_URL": "mysql://root@db/carbon"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"RATELIMIT_ENABLED": "maybe"}, "RATELIMIT_ENABLED"),
        ({"RATELIMIT_STORAGE_URI": "memcached://cache"}, "RATELIMIT_STORAGE_URI"),
        ({"CITY_PROFILE": "atlantis"}, "CITY_PROFILE"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"APP_ENV": "production", "SECRET_KEY": None}, "SECRET_KEY"),
        ({"APP_ENV": "testing", "SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES"),
        ({"SESSION_ABSOLUTE_HOURS": "twelve"}, "SESSION_ABSOLUTE_HOURS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"LEADERBOARD_CACHE_SECONDS": "61"}, "LEADERBOARD_CACHE_SECONDS"),
        ({"LEADERBOARD_CACHE_SECONDS": "-1"}, "LEADERBOARD_CACHE_SECONDS"),
    ],
    ids=lambda v: "-".join(f"{k}={v[k]}" for k in v) if isinstance(v, dict) else None,
)
def test_bad_setting_is_refused_with_one_line_naming_it(tmp_path, overrides, names):
    assert names in refusal(tmp_path, **overrides)


def test_unknown_city_profile_message_lists_the_known_ones(tmp_path):
    assert "dezhou" in refusal(tmp_path, CITY_PROFILE="atlantis")


@pytest.mark.parametrize("raw", ["true", "1", "yes", "ON", " True "])
def test_ratelimit_enabled_accepts_true_spellings(tmp_path, raw):
    assert load(tmp_path, RATELIMIT_ENABLED=raw).RATELIMIT_ENABLED is True


@pytest.mark.parametrize("raw", ["false", "0", "no", "Off"])
def test_ratelimit_enabled_accepts_false_spellings(tmp_path, raw):
    assert load(tmp_path, RATELIMIT_ENABLED=raw).RATELIMIT_ENABLED is False


def test_development_generates_a_secret_key_once_and_reuses_it(tmp_path):
    instance = tmp_path / "instance"
    env = {"APP_ENV": "development", "DATABASE_URL": "sqlite:///x.db"}
    first = Config.from_env(env, instance_path=str(instance))
    key_file = instance / "secret_key"
    assert key_file.is_file()
    assert len(first.SECRET_KEY) >= 32
    assert key_file.read_text().strip() == first.SECRET_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = Config.from_env(env, instance_path=str(instance))
    assert second.SECRET_KEY == first.SECRET_KEY


def test_development_keys_differ_between_instances(tmp_path):
    env = {"APP_ENV": "development", "DATABASE_URL": "sqlite:///x.db"}
    one = Config.from_env(env, instance_path=str(tmp_path / "a"))
    two = Config.from_env(env, instance_path=str(tmp_path / "b"))
    assert one.SECRET_KEY != two.SECRET_KEY


def test_an_explicit_secret_key_wins_and_writes_no_file(tmp_path):
    config = load(tmp_path, APP_ENV="development", SECRET_KEY="given-secret-key-0123")
    assert config.SECRET_KEY == "given-secret-key-0123"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_plain_postgresql_url_is_routed_to_psycopg(tmp_path, scheme):
    config = load(tmp_path, DATABASE_URL=f"{scheme}://carbon:pw@db.example:5432/carbon")
    assert config.DATABASE_URL == "postgresql+psycopg://carbon:pw@db.example:5432/carbon"
    assert config.as_flask()["DATABASE_URL"] == config.DATABASE_URL


def test_explicit_psycopg_and_sqlite_urls_are_kept(tmp_path):
    for url in ("postgresql+psycopg://carbon@db/carbon", "sqlite:////srv/carbon.db"):
        config = load(tmp_path, DATABASE_URL=url)
        assert url == config.DATABASE_URL


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    expected = f"sqlite:///{(tmp_path / 'carbon.db').resolve()}"
    config = load(tmp_path, DATABASE_URL=None)
    assert expected == config.DATABASE_URL


def test_defaults_follow_the_documented_contract(tmp_path):
    config = Config.from_env({"APP_ENV": "production", "SECRET_KEY": "x" * 32}, instance_path=str(tmp_path))
    assert config.RATELIMIT_ENABLED is True
    assert config.RATELIMIT_STORAGE_URI == "memory://"
    assert config.CITY_PROFILE == "dezhou"
    assert (config.SESSION_IDLE_MINUTES, config.SESSION_ABSOLUTE_HOURS) == (60, 12)
    assert config.LEADERBOARD_CACHE_SECONDS == 2
    assert Config.from_env({"APP_ENV": "testing", "SECRET_KEY": "x" * 32}).LEADERBOARD_CACHE_SECONDS == 0


def test_production_cookies_are_secure_and_host_only(tmp_path):
    flask = load(tmp_path, APP_ENV="production").as_flask()
    assert flask["SESSION_COOKIE_SECURE"] is True and flask["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert flask["TESTING"] is False
    development = load(tmp_path, APP_ENV="development").as_flask()
    assert development["SESSION_COOKIE_SECURE"] is False


def test_the_os_environment_is_used_when_no_mapping_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-123")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/d")
    monkeypatch.setenv("RATELIMIT_ENABLED", "off")
    config = Config.from_env(instance_path=str(tmp_path))
    assert config.SECRET_KEY == "from-the-environment-123"
    assert config.DATABASE_URL == "postgresql+psycopg://u@h/d"
    assert config.RATELIMIT_ENABLED is False


def test_the_running_app_uses_the_validated_config(app):
    assert app.config["TESTING"] is True
    assert app.config["DATABASE_URL"].startswith(("sqlite:///", "postgresql+psycopg://"))
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
