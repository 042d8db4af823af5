"""The installable app: the service worker from the site root, and the offline queue's texts on resident pages."""

from __future__ import annotations

import html
import re

from .pages import login


def test_service_worker_is_served_from_the_root_with_its_headers(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    body = response.get_data(as_text=True)
    response.close()
    assert 'addEventListener("fetch"' in body and "/api/v1/action-types" in body


def test_every_file_the_service_worker_caches_exists(client):
    with client.get("/sw.js") as response:
        body = response.get_data(as_text=True)
    urls = re.findall(r'"(/(?:static|api)/[^"]+)"', body.split("];")[0])
    assert "/static/js/offline.js" in urls
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200, url


def queue_box(page: str) -> dict[str, str]:
    match = re.search(r"<p [^>]*data-offline-queue[^>]*>", page)
    assert match, "no queue-state element"
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(0))}


def test_resident_pages_carry_the_queue_state_in_both_languages(client, resident):
    login(client, resident)
    page = client.get("/me/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "/static/js/offline.js" in page
    box = queue_box(page)
    assert box["user"] == str(resident.id)
    assert box["msg-waiting-one"] == "{n} action waiting to be sent"
    assert box["msg-waiting-other"] == "{n} actions waiting to be sent"
    assert box["msg-sent-other"] == "{n} actions sent"
    chinese = queue_box(client.get("/me/log/bus", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True))
    assert chinese["msg-waiting-other"] == "{n} 条行动等待发送"
    assert chinese["msg-sent-one"] == "已发送 {n} 条行动"


def test_pages_without_a_resident_have_no_queue(client):
    page = client.get("/").get_data(as_text=True)
    assert "data-offline-queue" not in page
    assert "/static/js/offline.js" in page  # the worker is registered for everyone: the shell is cached
