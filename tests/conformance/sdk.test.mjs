// Conformance of a LIVE Teehouse Lite with the REAL official SDK, `@phala/cloud` (exact version pinned in
// package.json). Every call below goes through the SDK's own action, so the server's JSON is checked by the SDK's own
// zod schemas (never `schema: false`). run.sh starts the server and the dstack-vmm simulator and passes:
//   PHALA_CLOUD_API_PREFIX   http://127.0.0.1:<port>/api/v1 (read by the SDK itself)
//   PHALA_CLOUD_API_KEY      a `user` token with credits, tier PRO (read by the SDK itself)
//   TEEHOUSE_ADMIN_KEY       an `admin` token
//   TEEHOUSE_NOCREDIT_KEY    a `user` token without credits (optional)
//   CONFORMANCE_*            the names run.sh used (usernames, teepod, KMS id, tier)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient, AuthError, getCurrentUser, getAvailableNodes } from "@phala/cloud";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set (run this through tests/conformance/run.sh)`);
  return value;
};

const BASE_URL = env("PHALA_CLOUD_API_PREFIX");
const USER_KEY = env("PHALA_CLOUD_API_KEY");
const ADMIN_KEY = env("TEEHOUSE_ADMIN_KEY");
const NOCREDIT_KEY = process.env.TEEHOUSE_NOCREDIT_KEY;
const USERNAME = env("CONFORMANCE_USERNAME", "conformance-user");
const ADMIN_USERNAME = env("CONFORMANCE_ADMIN_USERNAME", "conformance-admin");
const TEEPOD_NAME = env("CONFORMANCE_TEEPOD_NAME", "sim-1");
const KMS_ID = env("CONFORMANCE_KMS_ID", "local-kms");
const TIER = env("CONFORMANCE_TIER", "PRO");
const BAD_KEY = "thl_this-is-not-a-valid-token-0000000000000000";

// The user client relies on the SDK's own environment handling (PHALA_CLOUD_API_PREFIX / PHALA_CLOUD_API_KEY).
// Note (SDK 0.2.9): `client.withVersion(v)` returns a base client WITHOUT the action methods (its .d.ts claims
// otherwise), so versioned calls use the standalone actions, as the SDK's own docs do: `getCurrentUser(legacy)`.
const user = createClient();
const admin = createClient({ apiKey: ADMIN_KEY });

/** The raw JSON the server answers for `path`, with the headers `client` sends. For failure messages only. */
async function rawJson(client, path) {
  try {
    const response = await fetch(`${BASE_URL}${path}`, {
      headers: { "X-API-Key": client.config.apiKey ?? "", "X-Phala-Version": client.config.version },
    });
    return `HTTP ${response.status} ${await response.text()}`;
  } catch (e) {
    return `(could not fetch: ${e.message})`;
  }
}

/**
 * Runs an SDK action that parses with the SDK's schema. A zod rejection becomes an assertion error that quotes the
 * zod issues and the server's JSON, so a report says exactly which field of which answer the real client refused.
 */
async function sdk(label, client, path, call) {
  try {
    return await call(client);
  } catch (e) {
    if (e && typeof e === "object" && Array.isArray(e.issues)) {
      throw new assert.AssertionError({
        message:
          `${label}: the SDK's zod schema rejected the server's answer to GET ${path} ` +
          `(X-Phala-Version ${client.config.version})\n` +
          `zod issues: ${JSON.stringify(e.issues, null, 2)}\n` +
          `server JSON: ${await rawJson(client, path)}`,
      });
    }
    if (e && typeof e === "object" && "status" in e) {
      throw new assert.AssertionError({
        message: `${label}: GET ${path} failed: ${e.name} status ${e.status}: ${e.message}\n` +
          `server answer: ${await rawJson(client, path)}`,
      });
    }
    throw e;
  }
}

/** A `safeXxx` result that failed: passes the zod issues through to the message. */
async function assertSafeSuccess(label, client, path, result) {
  if (result.success) return result.data;
  const error = result.error ?? {};
  assert.fail(
    `${label}: expected success, got ${error.name ?? "error"} status ${error.status ?? "-"}: ${error.message}\n` +
      (error.issues ? `zod issues: ${JSON.stringify(error.issues, null, 2)}\n` : "") +
      `server answer: ${await rawJson(client, path)}`,
  );
}

const asNumber = (v) => (typeof v === "number" ? v : Number(v));

// ---------------------------------------------------------------------------------------------------------------------
describe("GET /auth/me: getCurrentUser", () => {
  it("default version (2026-01-21): user, workspace and credits validate", async () => {
    assert.equal(user.config.version, "2026-01-21");
    const me = await sdk("getCurrentUser()", user, "/auth/me", (c) => c.getCurrentUser());
    assert.equal(me.user.username, USERNAME);
    assert.equal(me.user.role, "user");
    assert.equal(typeof me.user.email, "string");
    assert.equal(typeof me.workspace.id, "string");
    assert.ok(me.workspace.name.length > 0, "workspace.name is empty");
    assert.equal(me.workspace.tier, TIER);
    assert.equal(asNumber(me.credits.balance), 100, `credits.balance ${JSON.stringify(me.credits.balance)}`);
    assert.ok(Number.isFinite(asNumber(me.credits.granted_balance)), "credits.granted_balance is not a number");
    assert.equal(me.credits.is_post_paid, false);
  });

  it("default version: the admin is role admin", async () => {
    const me = await sdk("getCurrentUser() as admin", admin, "/auth/me", (c) => c.getCurrentUser());
    assert.equal(me.user.username, ADMIN_USERNAME);
    assert.equal(me.user.role, "admin");
  });

  it("safeGetCurrentUser succeeds with the default version", async () => {
    const data = await assertSafeSuccess("safeGetCurrentUser()", user, "/auth/me", await user.safeGetCurrentUser());
    assert.equal(data.user.username, USERNAME);
  });

  it("withVersion('2025-10-28'): the flat schema validates", async () => {
    const legacy = user.withVersion("2025-10-28");
    assert.equal(legacy.config.version, "2025-10-28");
    const me = await sdk("getCurrentUser(client.withVersion('2025-10-28'))", legacy, "/auth/me",
      (c) => getCurrentUser(c));
    assert.equal(me.username, USERNAME);
    assert.equal(me.credits, 100);
    assert.equal(typeof me.granted_credits, "number");
    assert.equal(me.team_tier, TIER);
    assert.ok(me.team_name.length > 0, "team_name is empty");
    assert.equal(me.user, undefined, "the 2025-10-28 answer must be flat (no `user` object)");
  });

  it("createClient({ version: '2025-10-28' }): the flat schema validates", async () => {
    const legacy = createClient({ version: "2025-10-28" });
    const me = await sdk("createClient({version:'2025-10-28'}).getCurrentUser()", legacy, "/auth/me",
      (c) => c.getCurrentUser());
    assert.equal(me.username, USERNAME);
  });

  it("safeGetCurrentUser with a wrong key: AuthError, status 401", async () => {
    const wrong = createClient({ apiKey: BAD_KEY });
    const result = await wrong.safeGetCurrentUser();
    assert.equal(result.success, false, "a wrong key was accepted");
    assert.equal(result.error.status, 401);
    assert.ok(result.error instanceof AuthError, `expected AuthError, got ${result.error.name}`);
    assert.equal(result.error.isAuthError, true);
    assert.equal(typeof result.error.message, "string");
    assert.ok(result.error.message.length > 0, "the 401 carries no message (expected {\"detail\": \"...\"})");
  });

  it("getCurrentUser with a wrong key throws an AuthError (status 401)", async () => {
    const wrong = createClient({ apiKey: BAD_KEY });
    await assert.rejects(wrong.getCurrentUser(), (e) => e instanceof AuthError && e.status === 401);
  });

  it("getCurrentUser without any key (no X-API-Key header): AuthError, status 401", async () => {
    // useCookieAuth makes the SDK send no X-API-Key (a browser session without its cookie).
    const anonymous = createClient({ useCookieAuth: true });
    const result = await anonymous.safeGetCurrentUser();
    assert.equal(result.success, false, "a request without a key was accepted");
    assert.equal(result.error.status, 401);
    assert.ok(result.error instanceof AuthError, `expected AuthError, got ${result.error.name}`);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
function checkAvailable(nodes, { label }) {
  assert.equal(typeof nodes.tier, "string");
  assert.ok(Array.isArray(nodes.nodes), `${label}: nodes is not an array`);
  const sim = nodes.nodes.find((n) => n.name === TEEPOD_NAME);
  assert.ok(sim, `${label}: teepod ${TEEPOD_NAME} is not among ${JSON.stringify(nodes.nodes.map((n) => n.name))}`);
  assert.ok(Number.isInteger(sim.teepod_id) && sim.teepod_id > 0, `teepod_id ${sim.teepod_id}`);
  for (const key of ["remaining_vcpu", "remaining_memory", "remaining_cvm_slots", "resource_score"]) {
    assert.equal(typeof sim[key], "number", `${key} is ${typeof sim[key]}`);
    assert.ok(Number.isFinite(sim[key]), `${key} is not finite`);
  }
  assert.ok(sim.images.length > 0, `${label}: the teepod offers no image`);
  for (const image of sim.images) {
    assert.ok([3, 4].includes(image.version.length), `image ${image.name} version ${JSON.stringify(image.version)}`);
    assert.ok(image.version.every((n) => Number.isInteger(n) && n >= 0), `image ${image.name} version`);
    assert.equal(typeof image.is_dev, "boolean");
  }
  assert.ok(sim.kms_list.includes(KMS_ID), `teepod kms_list ${JSON.stringify(sim.kms_list)}`);

  const kms = nodes.kms_list.find((k) => k.id === KMS_ID);
  assert.ok(kms, `${label}: KMS ${KMS_ID} is not among ${JSON.stringify(nodes.kms_list.map((k) => k.id))}`);
  assert.match(kms.url, /\/kms$/);
  assert.equal(kms.version, "0.5.5");
  assert.equal(kms.slug, null);
  assert.equal(kms.chain_id, null);
  assert.equal(kms.kms_contract_address, null);
  assert.equal(kms.gateway_app_id, null);
  return sim;
}

describe("GET /teepods/available: getAvailableNodes", () => {
  it("as the user: tier, capacity, nodes (the simulator) and kms_list validate", async () => {
    const nodes = await sdk("getAvailableNodes()", user, "/teepods/available", (c) => c.getAvailableNodes());
    assert.equal(nodes.tier, TIER);
    assert.equal(nodes.capacity.max_instances, 20);
    assert.equal(nodes.capacity.max_vcpu, 32);
    assert.equal(nodes.capacity.max_memory, 65536);
    assert.equal(nodes.capacity.max_disk, 1000);
    const sim = checkAvailable(nodes, { label: "user" });
    assert.equal(sim.listed, true);
  });

  it("as the admin: validates and shows the simulator", async () => {
    const nodes = await sdk("getAvailableNodes() as admin", admin, "/teepods/available", (c) => c.getAvailableNodes());
    checkAvailable(nodes, { label: "admin" });
  });

  it("safeGetAvailableNodes succeeds", async () => {
    const data = await assertSafeSuccess("safeGetAvailableNodes()", user, "/teepods/available",
      await user.safeGetAvailableNodes());
    assert.ok(data.nodes.some((n) => n.name === TEEPOD_NAME));
  });

  it("withVersion('2025-10-28'): the same schema validates", async () => {
    const legacy = user.withVersion("2025-10-28");
    const nodes = await sdk("getAvailableNodes(client.withVersion('2025-10-28'))", legacy, "/teepods/available",
      (c) => getAvailableNodes(c));
    checkAvailable(nodes, { label: "user, 2025-10-28" });
  });

  it("a user without credits: validates, no nodes offered", { skip: !NOCREDIT_KEY && "TEEHOUSE_NOCREDIT_KEY not set" },
    async () => {
      const broke = createClient({ apiKey: NOCREDIT_KEY });
      const nodes = await sdk("getAvailableNodes() without credits", broke, "/teepods/available",
        (c) => c.getAvailableNodes());
      assert.deepEqual(nodes.nodes, []);
      assert.ok(nodes.kms_list.some((k) => k.id === KMS_ID), "kms_list should still list the KMS");
    });

  it("with a wrong key: AuthError, status 401", async () => {
    const wrong = createClient({ apiKey: BAD_KEY });
    const result = await wrong.safeGetAvailableNodes();
    assert.equal(result.success, false, "a wrong key was accepted");
    assert.equal(result.error.status, 401);
    assert.ok(result.error instanceof AuthError, `expected AuthError, got ${result.error.name}`);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// NOT SERVED YET: SDK actions whose routes Teehouse Lite does not have today. Each skipped placeholder names the
// action and the route; when a route lands, replace its placeholder by a real call (with the SDK's validation ON).
describe("not served yet (routes for the next issues)", () => {
  const later = [
    "getKmsList() -> GET /kms (strict envelope {items,total,page,page_size,pages})",
    "getKmsInfo({kms_id}) -> GET /kms/{kms_id}",
    "getAppEnvEncryptPubKey({kms, app_id}) -> GET /kms/{kms}/pubkey/{app_id} (strict {public_key, signature})",
    "nextAppIds({counts}) -> GET /kms/phala/next_app_id (strict {app_ids:[{app_id,nonce}]})",
    "getCvmList() -> GET /cvms/paginated",
    "getCvmInfo({id}) -> GET /cvms/{id}",
    "provisionCvm(...) -> POST /cvms/provision",
    "commitCvmProvision(...) -> POST /cvms",
    "startCvm / stopCvm / shutdownCvm / restartCvm -> POST /cvms/{id}/{op} (VMSchema)",
    "deleteCvm({id}) -> DELETE /cvms/{id} (204, empty body)",
    "getCvmComposeFile / provisionCvmComposeFileUpdate / commitCvmComposeFileUpdate -> /cvms/{id}/compose_file",
    "getCvmState({id}) -> GET /cvms/{id}/state",
    "getAppList() / getAppInfo({appId}) / getAppCvms({appId}) -> /apps...",
    "listAllInstanceTypeFamilies() / listFamilyInstanceTypes({family}) -> /instance-types (strict)",
    "listWorkspaces() / getWorkspace(slug) -> /workspaces...",
    "getOsImages() -> GET /os-images",
  ];
  for (const name of later) it.skip(name, () => {});
});
