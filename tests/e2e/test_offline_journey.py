"""Offline on a phone: the demo resident opens the bus form, the network goes away, two actions are
logged anyway (queued in IndexedDB, each with its Idempotency-Key), the page says "2 waiting"; the
network comes back, the first answer is lost on the way (the server counted it, the phone did not
hear), the phone sends again, and each action still counts exactly once, also when sent a third time.

Screenshots go to tests/e2e/screenshots/test_actions_logged_offline_are_sent_once_when_back_online/.
"""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, Route, expect

PASSWORD = "Green-Dezhou-2026"
RESIDENT = "13800000002"
QUEUED = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("ldz-offline", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const all = open.result.transaction("actions").objectStore("actions").getAll();
    all.onsuccess = () => { open.result.close(); resolve(all.result); };
  };
})"""


def newest_actions(page: Page, after_id: int) -> list[dict]:
    response = page.request.get("/api/v1/actions?limit=100")
    assert response.ok
    return [a for a in response.json()["items"] if a["id"] > after_id]


def test_actions_logged_offline_are_sent_once_when_back_online(page: Page, context: BrowserContext, shoot) -> None:
    main = page.locator("main")
    queue = page.locator("[data-offline-queue]")

    # 1. Sign in; the service worker takes over and keeps the shell, the catalogue and the log pages.
    page.goto("/auth/login")
    main.get_by_label("手机号或电子邮箱").fill(RESIDENT)
    main.get_by_label("密码").fill(PASSWORD)
    main.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    page.wait_for_function("async () => !!(await caches.match('/me/log/bus'))")
    assert page.evaluate("async () => !!(await caches.match('/api/v1/action-types'))")
    assert page.evaluate("async () => !!(await caches.match('/static/css/app.css'))")
    before = max((a["id"] for a in newest_actions(page, 0)), default=0)

    # 2. The bus form; then the network goes away. The first answer to come back will be lost.
    page.goto("/me/log/bus")
    expect(main.get_by_role("heading", level=1)).to_have_text("乘坐公交车")
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server does the work ...
            lost.append(route.request.header_value("idempotency-key") or "")
            route.abort("internetdisconnected")  # ... and the phone never hears about it
        else:
            route.continue_()

    page.route("**/api/v1/actions", lose_first_answer)
    context.set_offline(True)

    # 3. Two actions logged offline: a 5 km chip and a typed 3 km. The page stays, and says so.
    main.locator('button[data-chip="5"]').click()
    expect(queue).to_have_text("1 条行动等待发送")
    main.get_by_label("数量", exact=True).fill("3")
    main.get_by_role("button", name="保存", exact=True).click()
    expect(queue).to_have_text("2 条行动等待发送")
    expect(page).to_have_url(re.compile(r"/me/log/bus$"))
    shoot("01-two-waiting")
    queued = page.evaluate(QUEUED)
    assert sorted(r["body"]["quantity"] for r in queued) == ["3", "5"]
    assert len({r["key"] for r in queued}) == 2

    # 4. Back online: sent, the lost answer retried under the same key.
    context.set_offline(False)
    expect(queue).to_have_text("已发送 2 条行动", timeout=15_000)
    shoot("02-sent")
    assert len(lost) == 1 and lost[0] in {r["key"] for r in queued}
    assert page.evaluate(QUEUED) == []

    # 5. Each counted once on the server, and a third send of the same keys changes nothing.
    logged = newest_actions(page, before)
    assert sorted(a["quantity"] for a in logged) == [3, 5]
    assert {a["type"] for a in logged} == {"bus"}
    page.unroute("**/api/v1/actions")
    token = page.request.get("/api/v1/auth/csrf").json()["csrf_token"]
    ids = {a["id"] for a in logged}
    for record in queued:
        again = page.request.post(
            "/api/v1/actions",
            data=record["body"],
            headers={"Idempotency-Key": record["key"], "X-CSRFToken": token},
        )
        assert again.status == 201 and again.headers.get("idempotent-replayed") == "true"
        assert again.json()["id"] in ids
    assert len(newest_actions(page, before)) == 2
