#!/usr/bin/env bash
# A production install works on its own: build the wheel, install it into a clean venv in a temporary
# directory outside the checkout, migrate and seed a fresh SQLite database there with the installed
# `flask`, serve it with gunicorn on a free port and require /readyz, a page and a static file to
# answer 200, all from the installed package (never from this checkout).
#   bash tools/check_wheel.sh        (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d /tmp/check-wheel-XXXXXX)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "check_wheel FAILED: $*"; [ -f "$work/server.log" ] && tail -n 40 "$work/server.log"; exit 1; }

echo "--- building the wheel"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$root" || fail "the wheel did not build"
wheel="$(ls "$work"/dist/*.whl)"
for needed in webapp/services/statistics/__init__.py webapp/templates/base.html migrations/env.py \
  migrations/script.py.mako seeds/profiles/dezhou.json seeds/common_passwords.txt static/manifest.webmanifest \
  webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.mo; do
  "$python" -c "import sys, zipfile; sys.exit('$needed' not in zipfile.ZipFile('$wheel').namelist())" \
    || fail "$needed is missing from $(basename "$wheel")"
done

echo "--- installing it into a clean venv in $work"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" || fail "the wheel did not install"

cd "$work"  # outside the checkout: nothing can be imported from it
unset PYTHONPATH
export APP_ENV=production SECRET_KEY="check-wheel-secret-key-0123456789" \
  DATABASE_URL="sqlite:///$work/carbon.db" RATELIMIT_STORAGE_URI="memory://" LOG_LEVEL=WARNING
site="$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
"$work/venv/bin/python" - "$site" <<'EOF' || fail "a package was imported from outside the venv"
import sys
import campaigns, migrations, models, seeds, static, webapp
from webapp.cli.database import MIGRATIONS_DIR
from seeds import SEEDS_DIR
site = sys.argv[1]
for where in [m.__file__ for m in (campaigns, migrations, models, seeds, static, webapp)] + [MIGRATIONS_DIR, SEEDS_DIR]:
    assert str(where).startswith(site), f"{where} is not under {site}"
print("every package, the migrations and the seeds come from", site)
EOF

echo "--- flask db upgrade, flask seed city"
"$work/venv/bin/flask" --app webapp db upgrade >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "db upgrade"; }
"$work/venv/bin/flask" --app webapp seed city || fail "seed city"

echo "--- gunicorn on a free port"
port="$("$work/venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$work/venv/bin/gunicorn" -w 1 -b "127.0.0.1:$port" webapp.wsgi:app >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  sleep 0.2
done
for path in /readyz /api/v1/districts /static/manifest.webmanifest /auth/login; do
  status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")"
  [ "$status" = 200 ] || fail "GET $path answered $status, not 200"
  echo "GET $path 200"
done
echo "check_wheel: the installed wheel migrates, seeds and serves"
