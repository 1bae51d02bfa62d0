#!/usr/bin/env bash
# Installs teehouse as a systemd service: the binary in /usr/local/bin, the unit, a config in /etc/teehouse and a
# dedicated `teehouse` system user whose state lives in /var/lib/teehouse. Run as root on the TDX host.
# DESTDIR=/some/dir installs into a staging tree instead (no user, no systemctl), for packaging.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
destdir="${DESTDIR:-}"

if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
  echo "run as root (or set DESTDIR to stage the files)" >&2
  exit 1
fi

if [ ! -x publish/teehouse ]; then
  ensure_build_tools
  scripts/publish.sh publish
fi

install -D -m 0755 publish/teehouse "$destdir/usr/local/bin/teehouse"
install -D -m 0644 config/teehouse.service "$destdir/etc/systemd/system/teehouse.service"
install -d -m 0750 "$destdir/etc/teehouse"

config="$destdir/etc/teehouse/teehouse.toml"
if [ ! -f "$config" ]; then
  sed -e 's|^path = "./data/teehouse.db"|path = "/var/lib/teehouse/teehouse.db"|' \
      -e 's|^file = "./data/logs/teehouse-.log"|file = "/var/log/teehouse/teehouse-.log"|' \
      teehouse.toml.example > "$config"
  chmod 0640 "$config"
  echo "Wrote $config"
else
  echo "Kept existing $config"
fi

if [ -n "$destdir" ]; then
  echo "Staged into $destdir"
  exit 0
fi

if ! id teehouse >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/teehouse --no-create-home --shell /usr/sbin/nologin teehouse
fi
chgrp teehouse /etc/teehouse "$config"
install -d -m 0750 -o teehouse -g teehouse /var/lib/teehouse /var/log/teehouse

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi

cat <<NEXT
Installed. Next:
  runuser -u teehouse -- teehouse token create --config /etc/teehouse/teehouse.toml --user admin --role admin
  systemctl enable --now teehouse
  curl -H "Authorization: Bearer <token>" http://127.0.0.1:8080/api/v1/teepods
NEXT
