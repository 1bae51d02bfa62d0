#!/usr/bin/env bash
# Builds the native-AOT `teehouse`, creates teehouse.toml and the first admin token if missing, and serves the API
# on the configured address (127.0.0.1:8080 by default) with its database under ./data/.
# Extra arguments go to `teehouse serve` (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_build_tools

say() { echo "run.sh: $*" >&2; }

say "building the native-AOT binary publish/teehouse (the first time takes a minute or two; later ones less)…"
scripts/publish.sh publish >&2
bin=publish/teehouse

if [ ! -f teehouse.toml ]; then
  cp teehouse.toml.example teehouse.toml
  echo "Created teehouse.toml from teehouse.toml.example; edit it to taste." >&2
fi
say "checking teehouse.toml…"
"$bin" config check teehouse.toml >/dev/null

token=$("$bin" token create --config teehouse.toml --user admin --role admin --name first-admin --if-none)
if [ -n "$token" ]; then
  echo
  echo "First admin token (shown only this once; keep it safe):"
  echo "  $token"
  echo "Try:  curl -H \"Authorization: Bearer $token\" http://127.0.0.1:8080/api/v1/teepods"
  echo
fi

say "starting $bin serve --config teehouse.toml $* (Ctrl-C stops it)"
exec "$bin" serve --config teehouse.toml "$@"
