#!/usr/bin/env node
// Regenerates every public key and every signed evidence file of this example
// policy repository. Run from the repository root after `pnpm turbo run build`:
//
//   node examples/policies/release/generate.mjs [OUT_DIR]
//
// OUT_DIR (default: this directory) receives keys/ and cases/evidence/; the
// tests regenerate into a copy of the example and run its cases.
//
// The release provenance is built the way the signing service builds it: from
// a GitLab job's ID-token claims through the server's own `provenanceFromClaims`
// (no environment, no caller-supplied facts), then signed with core's `attest`,
// the two steps `signProvenance` runs once the token is verified. Keys are
// ephemeral: generated in memory, used, and dropped. Only PUBLIC keys are
// written; no private key ever touches disk.
//
// Signatures (ECDSA) and keys differ on every run; the statements do not. The
// cases evaluate at a fixed `now` (2026-12-04T12:00:00Z); the dates below
// are fixed so that a regenerated set keeps the same decisions.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = process.argv[2] ?? HERE;
const ROOT = join(HERE, "../../..");
const dist = (pkg) => join(ROOT, "packages", pkg, "dist/index.js");
const core = await import(dist("core")).catch(() => fail("packages/core"));
const server = await import(dist("server")).catch(() => fail("packages/server"));

function fail(what) {
  console.error(`generate.mjs: ${what}/dist is missing; run \`pnpm turbo run build --filter=@provenant/server...\` first`);
  process.exit(1);
}

const HOST = "https://gitlab.example.com";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
/** When the job ran (ID token iat); the cases evaluate at 2026-12-04T12:00:00Z. */
const JOB_TIME = Date.parse("2026-12-01T10:00:00Z") / 1000;
const PREDICATES = {
  tests: "https://in-toto.io/attestation/test-result/v0.1",
  vulns: "https://in-toto.io/attestation/vulns/v0.2",
};

// The artifact the evidence is about: app-1.4.0.tgz, released as dist/app-1.4.0.tgz.
const tarball = await readFile(join(HERE, "app-1.4.0.tgz"));
const subjects = [{ name: "dist/app-1.4.0.tgz", digest: { sha256: createHash("sha256").update(tarball).digest("hex") } }];

/** An ephemeral key: the private half stays in this process. */
function ephemeralKey() {
  const pair = core.generateKeyPair("ecdsa-p256");
  return { signer: core.keySigner(core.privateKeyFromPem(pair.privateKeyPem)), publicKeyPem: pair.publicKeyPem };
}
const keys = { service: ephemeralKey(), ci: ephemeralKey(), scanner: ephemeralKey() };

// The signing service's configuration for this GitLab instance (as in provenant server's signing.issuers).
const issuer = { issuer: HOST, platform: "gitlab", audiences: ["https://vault.example.com"], repositories: ["acme/*", "mallory/*"] };

/**
 * A GitLab CI job's ID-token claims as GitLab documents them ("OpenID Connect
 * (OIDC) Authentication Using ID Tokens"): a release pipeline for tag v1.4.0
 * of acme/app on a GitLab-hosted runner, with the tag protected.
 */
function gitlabClaims(overrides = {}) {
  const project = overrides.project_path ?? "acme/app";
  const [namespace] = project.split("/");
  const refType = overrides.ref_type ?? "tag";
  const ref = overrides.ref ?? "v1.4.0";
  const refPath = `refs/${refType === "tag" ? "tags" : "heads"}/${ref}`;
  return {
    iss: HOST,
    aud: "https://vault.example.com",
    sub: `project_path:${project}:ref_type:${refType}:ref:${ref}`,
    jti: "3a0e2f4c-0000-4000-8000-000000000001",
    iat: JOB_TIME,
    nbf: JOB_TIME,
    exp: JOB_TIME + 300,
    namespace_id: "1",
    namespace_path: namespace,
    project_id: "22",
    project_path: project,
    user_id: "9",
    user_login: "release-bot",
    user_email: "release-bot@example.com",
    pipeline_id: "1001",
    pipeline_source: "push",
    job_id: "5006",
    ref,
    ref_type: refType,
    ref_path: refPath,
    ref_protected: "true",
    runner_id: 12,
    runner_environment: "gitlab-hosted",
    sha: COMMIT,
    project_visibility: "private",
    ci_config_ref_uri: `${HOST.replace("https://", "")}/${project}//.gitlab-ci.yml@${refPath}`,
    ci_config_sha: COMMIT,
    ...overrides,
  };
}

/** What signProvenance signs after verifying the token: provenance from the claims alone. */
async function serviceProvenance(claims, signer) {
  const { provenance } = server.provenanceFromClaims(issuer, claims);
  return (await core.attest(subjects, provenance, signer)).bundle;
}

/** An in-toto statement of another predicate type, signed as a DSSE envelope in a bundle. */
async function evidence(predicateType, predicate, signer) {
  const statement = { _type: "https://in-toto.io/Statement/v1", subject: subjects, predicateType, predicate };
  const envelope = await core.signEnvelope(Buffer.from(JSON.stringify(statement), "utf8"), [signer]);
  return core.toBundle(envelope);
}

const testResult = (result, failed = []) => ({
  result,
  configuration: [{ name: "unit", uri: `${HOST}/acme/app/-/blob/${COMMIT}/.gitlab-ci.yml` }],
  url: `${HOST}/acme/app/-/pipelines/1001/test_report`,
  passedTests: result === "PASSED" ? ["unit"] : [],
  failedTests: failed,
  warnedTests: [],
});
const scan = (findings) => ({
  scanner: { uri: "pkg:generic/acme-scanner@2.3.0", version: "2.3.0", db: { lastUpdate: "2026-12-01T06:00:00Z" }, result: findings },
  metadata: { scanStartedOn: "2026-12-01T10:05:00Z", scanFinishedOn: "2026-12-01T10:06:00Z" },
});

const files = {
  "keys/release-service.pub": keys.service.publicKeyPem,
  "keys/ci.pub": keys.ci.publicKeyPem,
  "keys/scanner.pub": keys.scanner.publicKeyPem,
  // The release: tag v1.4.0 of acme/app, protected, hosted runner, signed by the service.
  "cases/evidence/provenance-release.sigstore.json": await serviceProvenance(gitlabClaims(), keys.service.signer),
  // The same provenance, signed by the CI key instead: whoever holds it could have written it (L2).
  "cases/evidence/provenance-user-key.sigstore.json": await serviceProvenance(gitlabClaims(), keys.ci.signer),
  // A tag anyone with Developer access could push: GitLab records ref_protected false.
  "cases/evidence/provenance-unprotected-tag.sigstore.json": await serviceProvenance(gitlabClaims({ ref_protected: "false" }), keys.service.signer),
  // A pipeline on main, not a release tag.
  "cases/evidence/provenance-branch.sigstore.json": await serviceProvenance(gitlabClaims({ ref: "main", ref_type: "branch" }), keys.service.signer),
  // The same tag in a fork outside acme (the service may sign for it; the policy does not accept it).
  "cases/evidence/provenance-fork.sigstore.json": await serviceProvenance(gitlabClaims({ project_path: "mallory/app", project_id: "23" }), keys.service.signer),
  "cases/evidence/tests-passed.sigstore.json": await evidence(PREDICATES.tests, testResult("PASSED"), keys.ci.signer),
  "cases/evidence/tests-failed.sigstore.json": await evidence(PREDICATES.tests, testResult("FAILED", ["unit"]), keys.ci.signer),
  "cases/evidence/scan-clean.sigstore.json": await evidence(PREDICATES.vulns, scan([{ id: "CVE-2026-0001", severity: "LOW" }]), keys.scanner.signer),
  "cases/evidence/scan-critical.sigstore.json": await evidence(
    PREDICATES.vulns,
    scan([
      { id: "CVE-2026-0001", severity: "LOW" },
      { id: "CVE-2026-0002", severity: "CRITICAL" },
    ]),
    keys.scanner.signer,
  ),
};

for (const [name, content] of Object.entries(files)) {
  const path = join(OUT, name);
  await mkdir(dirname(path), { recursive: true });
  // Temp file + rename: an interrupted run leaves the old file, never half a new one.
  await writeFile(`${path}.tmp`, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  console.log(`wrote ${name}`);
}
