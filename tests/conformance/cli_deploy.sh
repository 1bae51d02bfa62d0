# Sourced by run.sh: the phala CLI's everyday deploy, as a new user runs it. HOME holds an SSH key (as on most
# machines), so the CLI also sends DSTACK_AUTHORIZED_KEYS as an encrypted env; the request never says kms_enabled or
# gateway_enabled. The effect is checked at the simulator: KMS and gateway on, and the env opens with the app's key.

deploy_home="$work/home"
deploy_dir="$work/deploy-app"
mkdir -p "$deploy_home/.ssh" "$deploy_dir"
ssh-keygen -q -t ed25519 -N "" -C "conformance@teehouse" -f "$deploy_home/.ssh/id_ed25519" >/dev/null 2>&1 \
  || printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm1bJ0J0dQz4o1xYt4tP3xD6cQ2m5D7nX0f7VwZr2uH conformance@teehouse\n' \
       >"$deploy_home/.ssh/id_ed25519.pub"
printf 'services:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n' >"$deploy_dir/docker-compose.yml"
printf 'GREETING=hello-from-cli\n' >"$deploy_dir/.env"

cli_deploy() { (cd "$deploy_dir" && HOME="$deploy_home" PHALA_CLOUD_API_KEY="$user_key" npx --prefix "$here" --no-install phala "$@"); }
check "phala deploy -n cli-app -c docker-compose.yml -e .env (CLI body: no kms_enabled/gateway_enabled, SSH key present)" 0 "" \
  cli_deploy deploy -n cli-app -c docker-compose.yml -e .env --json

# What the simulator booted: exactly one VM named cli-app, with KMS and gateway, and an env its KMS opens.
deploy_verdict=$(SIM_URL="$sim_url" node --input-type=module -e '
  const vms = await (await fetch(`${process.env.SIM_URL}/_sim/vms`)).json();
  const mine = vms.filter((v) => v.name === "cli-app");
  if (mine.length !== 1) { console.log(`expected 1 VM named cli-app, found ${mine.length}`); process.exit(0); }
  const vm = mine[0];
  const compose = JSON.parse(vm.compose_file ?? "{}");
  if (compose.kms_enabled !== true) { console.log("kms_enabled is not true"); process.exit(0); }
  if (compose.gateway_enabled !== true) { console.log("gateway_enabled is not true"); process.exit(0); }
  const res = await fetch(`${process.env.SIM_URL}/_sim/kms/decrypt`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ app_id: vm.app_id, encrypted_env: Buffer.from(vm.encrypted_env ?? "", "base64").toString("hex") }) });
  if (res.status !== 200) { console.log(`the KMS could not open the env: HTTP ${res.status}`); process.exit(0); }
  const env = JSON.parse((await res.json()).plaintext).env.map((e) => e.key + "=" + e.value);
  if (!env.includes("GREETING=hello-from-cli")) { console.log(`GREETING missing: ${env.join(",")}`); process.exit(0); }
  if (!env.some((e) => e.startsWith("DSTACK_AUTHORIZED_KEYS=ssh-ed25519 "))) { console.log("DSTACK_AUTHORIZED_KEYS missing"); process.exit(0); }
  console.log("ok");
' 2>&1)
if [ "$deploy_verdict" = "ok" ]; then
  passed=$((passed + 1)); echo "ok   - phala deploy: the simulator runs cli-app with KMS and gateway, its env opens with the app's KMS key"
else
  failed=$((failed + 1)); echo "FAIL - phala deploy at the simulator: $deploy_verdict"
fi
