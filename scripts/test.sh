#!/usr/bin/env bash
# The whole test suite: ruff, mypy, pytest on SQLite, then the app tests again on PostgreSQL.
# PostgreSQL: uses GAN_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test); starts a
# local cluster when one is installed but stopped; without one the PostgreSQL pass is skipped
# with a message, which fails the run under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin

"$BIN/ruff" check .
"$BIN/mypy" gan_imaging shop  # shop includes the catalog app; settings in [tool.mypy]
"$BIN/python" -m pytest "$@"

PG_URL=${GAN_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
pg_up() { "$BIN/python" - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr); sys.exit(1)
PY
}
if ! pg_up 2>/dev/null && command -v pg_ctlcluster >/dev/null 2>&1; then
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  sleep 2
fi
if pg_up; then
  echo "== the app tests again on PostgreSQL ($PG_URL)"
  GAN_SHOP_DATABASE="$PG_URL" "$BIN/python" -m pytest tests/app -p no:cacheprovider "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required under CI=true" >&2
  exit 1
else
  echo "== PostgreSQL pass skipped: no server reachable at $PG_URL"
fi
