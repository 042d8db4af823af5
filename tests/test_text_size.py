"""Large text: a browser preference set from the profile page, put on <html> of every page after it."""

from __future__ import annotations

from .pages import csrf_from, login


def profile(client) -> str:
    return client.get("/me/profile").get_data(as_text=True)


def toggle(client, size: str, next_path: str = "/me/profile"):
    token = csrf_from(profile(client))
    return client.post(f"/text-size/{size}", data={"csrf_token": token, "next": next_path})


def test_large_text_persists_and_puts_the_class_on_html(client, resident):
    login(client, resident)
    assert 'class="large-text"' not in profile(client)
    assert 'aria-pressed="false"' in profile(client)

    response = toggle(client, "large")
    assert response.status_code == 302 and response.headers["Location"] == "/me/profile"
    assert "max-age=31536000" in response.headers["Set-Cookie"].lower()
    html = profile(client)
    assert '<html lang="zh-CN" class="large-text">' in html and 'aria-pressed="true"' in html
    assert "大字号" in html
    assert 'class="large-text"' in client.get("/privacy").get_data(as_text=True)  # every page, not one

    toggle(client, "normal")
    assert 'class="large-text"' not in profile(client)


def test_large_text_english_label(client, resident):
    login(client, resident)
    html = client.get("/me/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Large text" in html and "Text size" in html


def test_text_size_without_csrf_or_unknown_size_changes_nothing(client, resident):
    login(client, resident)
    assert client.post("/text-size/large", data={}).status_code == 400
    response = toggle(client, "huge")
    assert response.status_code == 302 and "text_size" not in response.headers.get("Set-Cookie", "")
    assert 'class="large-text"' not in profile(client)
