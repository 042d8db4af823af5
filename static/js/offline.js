// Installable and usable on a weak network. Progressive enhancement only: without JavaScript (or
// without a service worker / IndexedDB) every form posts to the server as usual.
// - registers the service worker (/sw.js), which caches the app shell and the resident's pages;
// - on a log page while offline, a submitted action is queued in IndexedDB with its own
//   Idempotency-Key, and sent to POST /api/v1/actions when the network returns. The key makes a
//   repeated send (a lost answer, two tabs) count once: the server answers the first result again.
(() => {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
  }
  const box = document.querySelector("[data-offline-queue]");
  if (!box || !("indexedDB" in window) || !window.fetch) return;
  const user = box.dataset.user;
  const rules = new Intl.PluralRules(document.documentElement.lang || "zh-CN");
  const text = (name, n) => {
    const form = rules.select(n) === "one" ? "One" : "Other";
    return (box.dataset[`msg${name}${form}`] || box.dataset[`msg${name}Other`] || "").replace("{n}", String(n));
  };

  // --- the queue (IndexedDB "ldz-offline", store "actions", one record per queued action) ---
  const STORE = "actions";
  const open = () =>
    new Promise((resolve, reject) => {
      const request = indexedDB.open("ldz-offline", 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const withStore = async (mode, work) => {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => {
        db.close();
        resolve(result && "result" in result ? result.result : undefined);
      };
      tx.onerror = () => reject(tx.error);
    });
  };
  const queued = async () => ((await withStore("readonly", (s) => s.getAll())) || []).filter((r) => r.user === user);
  const add = (record) => withStore("readwrite", (s) => s.put(record));
  const remove = (key) => withStore("readwrite", (s) => s.delete(key));

  const newKey = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  // --- what the page shows ---
  let sent = 0;
  const failures = [];
  const render = async () => {
    const waiting = (await queued()).length;
    const lines = [];
    if (waiting) lines.push(text("Waiting", waiting));
    if (sent) lines.push(text("Sent", sent));
    failures.forEach((message) => lines.push(`${box.dataset.msgFailed} ${message}`));
    box.textContent = lines.join(" ");
    box.dataset.waiting = String(waiting);
    box.dataset.sent = String(sent);
    box.hidden = !lines.length;
  };

  // --- sending, when the network is back ---
  let busy = false;
  let retryDelay = 1000;
  let retryTimer = null;
  const retryLater = () => {
    if (retryTimer) return;
    retryTimer = window.setTimeout(() => {
      retryTimer = null;
      replay();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  };
  const csrfToken = async () => {
    const response = await fetch("/api/v1/auth/csrf", { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return (await response.json()).csrf_token;
  };
  const replay = async () => {
    if (busy || !navigator.onLine) return;
    busy = true;
    try {
      const records = await queued();
      if (!records.length) return;
      const token = await csrfToken();
      for (const record of records) {
        const response = await fetch("/api/v1/actions", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Idempotency-Key": record.key, "X-CSRFToken": token },
          body: JSON.stringify(record.body),
        });
        if (response.status === 201 || response.status === 200) {
          await remove(record.key);
          sent += 1;
        } else if (response.status === 400 || response.status === 409 || response.status === 422) {
          // refused for good (e.g. a quantity out of range): drop it and say why
          const answer = await response.json().catch(() => ({}));
          failures.push(answer.message || String(response.status));
          await remove(record.key);
        } else {
          retryLater(); // signed out, rate limited or the server is down: keep it for later
          return;
        }
      }
      retryDelay = 1000;
    } catch {
      retryLater(); // the network went away again mid-way
    } finally {
      busy = false;
      await render();
    }
  };

  // --- queueing a log form submitted while offline ---
  const match = window.location.pathname.match(/^\/me\/log\/([^/]+)$/);
  if (match) {
    document.addEventListener("submit", async (event) => {
      const form = event.target;
      if (navigator.onLine || event.defaultPrevented || !form.querySelector("[name=quantity]")) return;
      event.preventDefault();
      const data = new FormData(form);
      const when = data.get("occurred_at");
      const body = {
        type: decodeURIComponent(match[1]),
        quantity: String(data.get("quantity") || "").trim(),
        // a typed time is read in the phone's zone (the city's); empty means now
        occurred_at: (when ? new Date(when) : new Date()).toISOString(),
      };
      for (const name of ["evidence_code", "note"]) {
        const value = String(data.get(name) || "").trim();
        if (value) body[name] = value;
      }
      await add({ key: newKey(), user, body, queued_at: new Date().toISOString() });
      form.reset(); // a second tap is a second action, not this one again
      await render();
      box.scrollIntoView({ block: "nearest" });
    });
  }

  // --- keeping the resident's pages ready for the next time the network is away ---
  const warmPages = () => {
    const controller = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!controller) return;
    const links = Array.from(document.querySelectorAll("a[href^='/me/log/']"), (a) => a.getAttribute("href"));
    controller.postMessage({ warm: ["/me/", ...links] });
  };
  if (window.location.pathname === "/me/" && navigator.serviceWorker) {
    if (navigator.serviceWorker.controller) warmPages();
    else navigator.serviceWorker.addEventListener("controllerchange", warmPages, { once: true });
  }

  window.addEventListener("online", replay);
  window.addEventListener("offline", render);
  render().then(replay);
})();
