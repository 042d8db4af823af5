#!/usr/bin/env bash
# Backup and restore drill (docs/operations.md): dump a PostgreSQL database, restore it into a new
# database, and prove the copy whole: `flask ledger verify`, `flask game verify` and
# `flask stats verify` green on the restored copy, and the same row counts as the source.
#
#   tools/backup_drill.sh postgresql://user@host:5432/carbon [BACKUP_DIR]
#
# Keeps the dump (and its sha256) in BACKUP_DIR (default: ./backups); drops the restored copy at
# the end unless KEEP_RESTORE=1. Exits non-zero, with the reason, at the first failed step.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=${1:?usage: tools/backup_drill.sh POSTGRESQL_URL [BACKUP_DIR]}
DIR=${2:-backups}
FLASK=${FLASK:-.venv/bin/flask}
VERIFY=${VERIFY:-ledger game stats}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$DIR"
dump="$DIR/carbon-$stamp.dump"

# The restored copy lives next to the source, on the same server.
base=${SOURCE%/*}
source_db=${SOURCE##*/}
restore_db="${source_db}_restore_${stamp,,}"
restore_url="$base/$restore_db"

echo "1/4 dump $source_db -> $dump"
pg_dump --format=custom --no-owner --no-privileges --file "$dump" "$SOURCE"
sha256sum "$dump" > "$dump.sha256"

echo "2/4 restore into $restore_db"
psql -q -v ON_ERROR_STOP=1 -d "$base/postgres" -c "CREATE DATABASE \"$restore_db\""
cleanup() {
  [ "${KEEP_RESTORE:-0}" = 1 ] || psql -q -d "$base/postgres" -c "DROP DATABASE IF EXISTS \"$restore_db\" WITH (FORCE)" || true
}
trap cleanup EXIT
sha256sum --check --quiet "$dump.sha256"
pg_restore --exit-on-error --no-owner --no-privileges --dbname "$restore_url" "$dump"

echo "3/4 verify the restored copy: $VERIFY"
for what in $VERIFY; do
  DATABASE_URL="$restore_url" APP_ENV=production SECRET_KEY=drill-only-not-a-secret-0123456789 \
    "$FLASK" --app wsgi "$what" verify
done

echo "4/4 row counts, source against copy"
counts() {
  psql -At -d "$1" -c "SELECT string_agg(t || '=' || n, ' ' ORDER BY t) FROM (
    SELECT 'users' t, count(*) n FROM users UNION ALL SELECT 'actions', count(*) FROM actions
    UNION ALL SELECT 'ledger_entries', count(*) FROM ledger_entries
    UNION ALL SELECT 'carbon_accounts', count(*) FROM carbon_accounts
    UNION ALL SELECT 'redemptions', count(*) FROM redemptions) c"
}
want=$(counts "$SOURCE"); got=$(counts "$restore_url")
[ "$want" = "$got" ] || { echo "FAIL: row counts differ: source [$want] copy [$got]"; exit 1; }
echo "drill ok: $dump ($(du -h "$dump" | cut -f1)), $got"
