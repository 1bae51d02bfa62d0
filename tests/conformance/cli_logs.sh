# Sourced by run.sh after the CVM commands (uses its check, phala, with_key and the keys). The phala CLI reads
# syslog_endpoint from GET /cvms/{id} (X-Phala-Version 2025-10-28) and then fetches
# `syslog_endpoint&ch=<channel>&tail=N&lines=N&ansi` with NO headers: these pass only when that URL works bare.
check "phala cvms serial-logs app-0003 --tail 100 (syslog_endpoint fetched without headers)" 0 'Linux version' \
  with_key "$owner_key" phala cvms serial-logs app-0003 --tail 100
check "phala logs --serial --cvm-id app-0003 -n 100 (kernel/boot console)" 0 'Linux version' \
  with_key "$owner_key" phala logs --serial --cvm-id app-0003 -n 100
check "phala logs --cvm-stdout --cvm-id app-0003 -n 100 (ch=stdout)" 0 'Starting VM' \
  with_key "$owner_key" phala logs --cvm-stdout --cvm-id app-0003 -n 100
check "phala logs --cvm-stderr --cvm-id app-0003 -n 100 (ch=stderr: docker compose)" 0 ' Container ' \
  with_key "$owner_key" phala logs --cvm-stderr --cvm-id app-0003 -n 100
check "phala cvms serial-logs app-0003 as another user exits non-zero (404)" nonzero "" \
  with_key "$user_key" phala cvms serial-logs app-0003 --tail 10
