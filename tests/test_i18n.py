"""Languages: Chinese by default, English on request or by choice, and both catalogs complete."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from models import User

from .pages import csrf_from, login

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webapp" / "translations"
CATALOGS = ["zh_Hans_CN", "en"]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "_l": None}


def switch(client, code: str, next_path: str = "/"):
    token = csrf_from(client.get("/privacy").get_data(as_text=True))  # the menu's language form
    return client.post(f"/language/{code}", data={"csrf_token": token, "next": next_path})


def test_home_is_chinese_without_accept_language(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "您的个人碳账户" in html and "Your personal carbon account" not in html


def test_accept_language_english_gives_english(client):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Your personal carbon account" in html and "您的个人碳账户" not in html


def test_accept_language_chinese_or_unknown_gives_chinese(client):
    for header in ("zh-CN,zh;q=0.9", "fr-FR,de;q=0.5"):
        assert '<html lang="zh-CN">' in client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)


def test_api_errors_follow_the_language(client):
    zh = client.get("/api/v1/me").get_json()["message"]
    en = client.get("/api/v1/me", headers={"Accept-Language": "en"}).get_json()["message"]
    assert zh == "请先登录。" and en == "Please sign in first."


def test_field_errors_are_translated(client):
    zh = client.post("/api/v1/auth/login", json={"login": "13912345678"}).get_json()
    en = client.post("/api/v1/auth/login", json={"login": "13912345678"}, headers={"Accept-Language": "en"}).get_json()
    assert zh["errors"]["password"] == ["缺少必填字段。"]
    assert en["errors"]["password"] == ["Missing data for required field."]


def test_language_switch_sticks_in_the_session(client):
    response = switch(client, "en", "/privacy")
    assert response.status_code == 302 and response.headers["Location"] == "/privacy"
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Your personal carbon account" in html
    switch(client, "zh_CN")
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_language_switch_is_saved_for_a_signed_in_user(app, client, resident, session):
    login(client, resident)
    assert switch(client, "en").status_code == 302
    session.expire_all()
    assert session.get(User, resident.id).language == "en"
    assert client.get("/api/v1/me").get_json()["language"] == "en"
    # On another device, with a Chinese browser, the saved choice wins.
    other = app.test_client()
    login(other, resident)
    html = other.get("/privacy", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_language_switch_without_csrf_changes_nothing(client):
    assert client.post("/language/en", data={}).status_code == 400
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/language/fr", data={"csrf_token": token}).status_code == 302
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def extracted_msgids() -> set[str]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def read_catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def test_extraction_finds_the_known_messages():
    msgids = extracted_msgids()
    assert {"Low-Carbon Dezhou", "Wrong login or password.", "Missing data for required field."} <= msgids


@pytest.mark.parametrize("lang", CATALOGS)
def test_catalog_translates_every_extracted_message(lang):
    catalog = read_catalog(lang)
    missing = sorted(m for m in extracted_msgids() if m not in catalog or not catalog[m].string)
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not missing, f"{lang}: {len(missing)} untranslated (run tools/i18n.py), e.g. {missing[:10]}"
    assert not fuzzy, f"{lang}: fuzzy entries: {fuzzy}"


def messages_of(catalog) -> dict:
    """msgid -> msgstr; plural forms (lists) as tuples so that they compare and hash."""

    def freeze(value):
        return value if isinstance(value, str) else tuple(value)

    return {freeze(m.id): freeze(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("lang", CATALOGS)
def test_compiled_catalog_matches_the_po_file(lang):
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(lang))
    compiled.seek(0)
    expected = messages_of(read_mo(compiled))
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        shipped = messages_of(read_mo(fh))
    assert shipped == expected, f"{lang}: messages.mo is stale; recompile it (tools/i18n.py)"
