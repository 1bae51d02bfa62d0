# Sourced by run.sh after cli_flows.sh: the official CLI's life cycle on teepods running older dstack-vmm releases
# (the main simulator is the newest release). Each release gets its own simulator and teepod; the CVM is deployed
# onto it with --node-id, its env and compose updated, resized, powered, and deleted while running, each step checked
# at that simulator. Up to 0.5.5 the updates are UpgradeApp + ResizeVm and delete needs a stop first; 0.4.2 also has
# list-shaped gpus and a gateway without the Info RPC (registered with tproxy_endpoint to prove it is not fatal).

# rel_check NAME JS: sim_check (cli_flows.sh) against the release's simulator ($rel_url) and its VM named $rel_name.
rel_check() { check_sim_url="$rel_url" check_vm_name="$rel_name" sim_check "$@"; }

# rel_wait_status STATUS: until the release simulator's VM shows it (at most 10 s).
rel_wait_status() {
  for _ in $(seq 100); do
    curl -fsS "$rel_url/_sim/vms" 2>/dev/null | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const vm = JSON.parse(s).find((v) => v.name === process.argv[1]);
        process.exit(vm && vm.status === process.argv[2] ? 0 : 1); });' "$rel_name" "$1" && return 0
    sleep 0.1
  done
  return 0
}

for rel_version in 0.4.2 0.5.5; do
  rel_port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
  rel_url="http://127.0.0.1:$rel_port"
  rel_name="rel-${rel_version//./}"
  say "dstack-vmm $rel_version: simulator on $rel_url, teepod sim-$rel_version, CVM $rel_name"
  "$sim_bin" --port "$rel_port" --vmm-version "$rel_version" --max-vcpu 64 --max-memory-mb 262144 \
    >"$work/simulator-$rel_version.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do grep -q "simulator listening on" "$work/simulator-$rel_version.log" && break; sleep 0.1; done

  status=$(curl -sS -o "$work/teepod-$rel_version.json" -w '%{http_code}' -X POST "$api_url/api/v1/teepods" \
    -H "Authorization: Bearer $admin_key" -H "Content-Type: application/json" \
    -d "{\"name\":\"sim-$rel_version\",\"endpoint\":\"$rel_url\",\"tproxy_endpoint\":\"$rel_url/gateway\"}" 2>&1) || status="no answer"
  rel_teepod=$(grep -o '"id":[0-9][0-9]*' "$work/teepod-$rel_version.json" 2>/dev/null | head -n 1 | cut -d: -f2)
  if [ "$status" = 200 ] && grep -q "\"teepod_version\":\"$rel_version\"" "$work/teepod-$rel_version.json"; then
    passed=$((passed + 1)); echo "ok   - POST /api/v1/teepods registers dstack-vmm $rel_version (gateway named, teepod_version recorded)"
  else
    failed=$((failed + 1)); echo "FAIL - POST /api/v1/teepods for dstack-vmm $rel_version answered $status: $(cat "$work/teepod-$rel_version.json" 2>/dev/null)"
    continue
  fi

  check "[$rel_version] phala deploy -n $rel_name --node-id $rel_teepod -e .env" 0 "" \
    cli_deploy deploy -n "$rel_name" -c docker-compose.yml -e .env --node-id "$rel_teepod" --json
  rel_check "[$rel_version] the release's simulator runs $rel_name with KMS, and its env opens with the app's key" '
    const env = vms.length === 1 ? await open(vms[0]) : [];
    console.log(vms.length !== 1 ? `${vms.length} VMs named ${process.env.VM_NAME}`
      : JSON.parse(vms[0].compose_file).kms_enabled !== true ? "kms_enabled is not true"
      : env.includes("GREETING=hello-from-cli") ? "ok" : `env is ${env.join(",") || "unreadable"}`);'
  rel_wait_status running

  check "[$rel_version] phala envs update $rel_name -e GREETING=changed" 0 "" \
    cli_deploy envs update "$rel_name" -e GREETING=changed
  rel_check "[$rel_version] envs update reached the VM (UpgradeApp before 0.5.6)" '
    const env = vms.length ? await open(vms[0]) : [];
    console.log(env.includes("GREETING=changed") ? "ok" : `env is ${env.join(",") || "unreadable"}`);'
  rel_wait_status running

  check "[$rel_version] phala deploy --cvm-id $rel_name -c docker-compose.v2.yml (compose update)" 0 "" \
    cli_deploy deploy --cvm-id "$rel_name" -c docker-compose.v2.yml
  rel_check "[$rel_version] the VM runs the new compose" '
    const compose = vms.length ? JSON.parse(vms[0].compose_file) : {};
    console.log(String(compose.docker_compose_file ?? "").includes("nginx:1.28") ? "ok" : "the compose did not change");'
  rel_wait_status running

  check "[$rel_version] phala cvms resize $rel_name --vcpu 2 --memory 4096 --disk-size 30 -r true --yes" 0 "" \
    with_key "$user_key" phala cvms resize "$rel_name" --vcpu 2 --memory 4096 --disk-size 30 -r true --yes
  rel_check "[$rel_version] the VM has 2 vCPUs, 4096 MB and 30 GB (ResizeVm before 0.5.6)" '
    const vm = vms[0];
    console.log(vm && vm.vcpu === 2 && vm.memory === 4096 && vm.disk_size === 30 ? "ok" : `vcpu ${vm?.vcpu}, memory ${vm?.memory}, disk ${vm?.disk_size}`);'
  rel_wait_status running

  check "[$rel_version] phala cvms stop $rel_name" 0 "" with_key "$user_key" phala cvms stop "$rel_name"
  rel_wait_status stopped
  check "[$rel_version] phala cvms start $rel_name" 0 "" with_key "$user_key" phala cvms start "$rel_name"
  rel_wait_status running
  check "[$rel_version] phala logs --serial --cvm-id $rel_name -n 100 (the VM is looked up first on released vmm)" 0 'Linux version' \
    with_key "$user_key" phala logs --serial --cvm-id "$rel_name" -n 100
  check "[$rel_version] phala cvms delete $rel_name --force, while it runs" 0 "" \
    with_key "$user_key" phala cvms delete "$rel_name" --force
  rel_check "[$rel_version] the VM is gone from the release's simulator" '
    console.log(vms.length === 0 ? "ok" : `${vms.length} VMs named ${process.env.VM_NAME}, status ${vms[0].status}`);'
done
