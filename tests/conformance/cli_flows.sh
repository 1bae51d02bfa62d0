# Sourced by run.sh after cli_deploy.sh: the CLI's everyday commands on the app `phala deploy` created (cli-app),
# each checked at the simulator where it changes something.

# sim_check NAME JS: JS gets `vms` (the simulator's VMs named cli-app, oldest first) and `open(vm)` (the decrypted env
# as KEY=VALUE strings) and prints "ok" or why not. check_sim_url / check_vm_name point it at another simulator or VM.
sim_check() {
  local name="$1" js="$2" verdict
  verdict=$(SIM_URL="${check_sim_url:-$sim_url}" VM_NAME="${check_vm_name:-cli-app}" node --input-type=module -e '
    const vms = (await (await fetch(`${process.env.SIM_URL}/_sim/vms`)).json()).filter((v) => v.name === process.env.VM_NAME);
    const open = async (vm) => {
      const res = await fetch(`${process.env.SIM_URL}/_sim/kms/decrypt`, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ app_id: vm.app_id, encrypted_env: Buffer.from(vm.encrypted_env ?? "", "base64").toString("hex") }) });
      return res.status === 200 ? JSON.parse((await res.json()).plaintext).env.map((e) => `${e.key}=${e.value}`) : [];
    };
    '"$js"'
  ' 2>&1)
  if [ "$verdict" = "ok" ]; then passed=$((passed + 1)); echo "ok   - $name"
  else failed=$((failed + 1)); echo "FAIL - $name: $verdict"; fi
}

check "phala cvms list --json lists cli-app (GET /apps, POST /status/batch)" 0 '"cli-app"' \
  with_key "$user_key" phala cvms list --json
check "phala apps lists cli-app" 0 'cli-app' \
  with_key "$user_key" phala apps
check "phala nodes list shows teepod sim-1 (GET /workspaces/{slug}/nodes)" 0 'sim-1' \
  with_key "$user_key" phala nodes list
check "phala instance-types lists tdx.small (GET /instance-types)" 0 'tdx\.small' \
  with_key "$user_key" phala instance-types
check "phala os-images lists the teepod's images (GET /os-images)" 0 'dstack' \
  with_key "$user_key" phala os-images

check "phala envs update cli-app -e GREETING=changed (encrypts to encrypted_env_pubkey)" 0 "" \
  cli_deploy envs update cli-app -e GREETING=changed
sim_check "phala envs update: the simulator's VM now has the new env, still opening with the app's key" '
  const env = vms.length ? await open(vms[0]) : [];
  console.log(env.includes("GREETING=changed") ? "ok" : `env is ${env.join(",") || "unreadable"}`);'

printf 'services:\n  web:\n    image: nginx:1.28\n' >"$deploy_dir/docker-compose.v2.yml"
check "phala deploy --cvm-id cli-app -c docker-compose.v2.yml (compose update)" 0 "" \
  cli_deploy deploy --cvm-id cli-app -c docker-compose.v2.yml
sim_check "phala deploy --cvm-id: the simulator's VM runs the new compose under the same app id" '
  const compose = vms.length ? JSON.parse(vms[0].compose_file) : {};
  console.log(String(compose.docker_compose_file ?? "").includes("nginx:1.28") ? "ok" : "the compose did not change");'

check "phala cvms resize cli-app --vcpu 2 --memory 4096 --disk-size 30 -r true --yes (PATCH /cvms/{id}/resources)" 0 "" \
  with_key "$user_key" phala cvms resize cli-app --vcpu 2 --memory 4096 --disk-size 30 -r true --yes
sim_check "phala cvms resize: the simulator's VM has 2 vCPUs and 4096 MB" '
  const vm = vms[0];
  console.log(vm && vm.vcpu === 2 && vm.memory === 4096 ? "ok" : `vcpu ${vm?.vcpu}, memory ${vm?.memory}`);'

check "phala cvms replicate cli-app (POST /cvms/{id}/replicas)" 0 "" \
  with_key "$user_key" phala cvms replicate cli-app
sim_check "phala cvms replicate: a second VM of the same app at the simulator" '
  console.log(vms.length === 2 && vms[0].app_id === vms[1].app_id ? "ok" : `${vms.length} VMs named cli-app`);'
