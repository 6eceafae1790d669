// `pnpm bench` policy section (issue 17): decisions per second for a 20-rule
// policy on one evidence set, in CEL and in Rego compiled to wasm, against
// `opa eval` deciding the same Rego on the same input, all in this run.
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const RULES = 20;

export async function benchPolicy({ root, work, row, log, median }) {
  const tools = process.env.PROVENANT_TOOLS_DIR ?? join(homedir(), ".cache", "provenant-tools");
  const opa = join(tools, "go-bin", "opa");
  if (spawnSync(opa, ["version"]).error) {
    throw new Error(`the opa binary is missing at ${opa}: run ./scripts/test (it builds it with go install)`);
  }
  const core = await import(pathToFileURL(join(root, "packages", "core", "dist", "index.js")).href);
  const policyLib = await import(pathToFileURL(join(root, "packages", "policy", "dist", "index.js")).href);
  const dir = join(work, "policy");
  mkdirSync(dir, { recursive: true });

  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = keys.publicKey.export({ type: "spki", format: "pem" }).toString();
  const sha256 = "c".repeat(64);
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: "dist/app.tgz", digest: { sha256 } }],
    predicateType: "https://slsa.dev/provenance/v1",
    predicate: {
      buildDefinition: {
        buildType: core.BUILD_TYPES.gitlab,
        externalParameters: { ref: "refs/tags/v1.2.3" },
        resolvedDependencies: [{ uri: "git+https://gitlab.example.com/acme/app@refs/tags/v1.2.3", digest: { gitCommit: "0".repeat(40) } }],
      },
      runDetails: {
        builder: { id: "https://gitlab.example.com/runners/hosted" },
        metadata: { startedOn: "2026-12-01T00:00:00Z", [core.FACTS_SOURCE_FIELD]: "oidc-token" },
      },
    },
  };
  const bundle = core.toBundle(await core.signEnvelope(Buffer.from(JSON.stringify(statement)), [core.keySigner(keys.privateKey)]));

  // Rule i checks that the tag starts with "refs/tags/v" and that i is below 100: the same in both languages.
  const rego = [
    "package bench",
    "import rego.v1",
    ...Array.from({ length: RULES }, (_, i) => `ok_${i} if { startswith(input.report.source.ref, "refs/tags/v"); ${i} < 100 }\ndeny contains "rule ${i}" if not ok_${i}`),
  ].join("\n");
  writeFileSync(join(dir, "bench.rego"), rego);
  execFileSync(opa, ["build", "-t", "wasm", "-e", "bench/deny", "-o", join(dir, "bench.tar.gz"), join(dir, "bench.rego")]);
  const trust = { keys: [{ name: "ci", pem }] };
  const celPolicy = {
    apiVersion: "provenant.dev/v1",
    trust,
    rules: Array.from({ length: RULES }, (_, i) => ({
      name: `cel ${i}`,
      provenance: { minimumLevel: 2, sourceUris: ["gitlab.example.com/acme/*"] },
      cel: [{ expr: `report.source.ref.startsWith("refs/tags/v") && ${i} < 100`, message: `rule ${i}` }],
    })),
  };
  const regoPolicy = {
    apiVersion: "provenant.dev/v1",
    trust,
    rules: [{ name: "rego", provenance: { minimumLevel: 2 }, rego: [{ wasm: join(dir, "bench.tar.gz"), entrypoint: "bench/deny" }] }],
  };
  const options = { source: "bench", cacheDir: join(dir, "cache") };
  const cel = await policyLib.compilePolicy(policyLib.parsePolicyFile(JSON.stringify(celPolicy), "bench"), options);
  const wasm = await policyLib.compilePolicy(policyLib.parsePolicyFile(JSON.stringify(regoPolicy), "bench"), options);
  const artifact = { name: "dist/app.tgz", digest: { sha256 } };
  const now = new Date("2026-12-04T00:00:00Z");

  async function perDecision(policy) {
    const first = await policyLib.evaluatePolicy(policy, artifact, [bundle], { now });
    if (!first.allowed) throw new Error(`bench policy denied: ${first.reason}`);
    const samples = [];
    for (let round = 0; round < 7; round++) {
      const n = 200;
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await policyLib.evaluatePolicy(policy, artifact, [bundle], { now });
      samples.push(Number(process.hrtime.bigint() - start) / 1e6 / n);
    }
    return median(samples);
  }
  log(`policy: ${RULES} CEL rules, ${RULES} Rego rules as wasm, opa eval on the same input`);
  const celMs = await perDecision(cel);
  const wasmMs = await perDecision(wasm);

  // The same Rego, decided by `opa eval` on the input the wasm saw (one process per decision, as a script would).
  const input = { report: { source: { ref: "refs/tags/v1.2.3" }, slsaLevel: { level: 2 } } };
  writeFileSync(join(dir, "input.json"), JSON.stringify(input));
  const opaSamples = [];
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    execFileSync(opa, ["eval", "-f", "raw", "-d", join(dir, "bench.rego"), "-i", join(dir, "input.json"), "data.bench.deny"]);
    opaSamples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const opaMs = median(opaSamples);
  for (const [name, ms] of [
    [`policy decision, ${RULES} CEL rules (incl. signature check)`, celMs],
    [`policy decision, ${RULES} Rego rules as wasm (incl. signature check)`, wasmMs],
  ]) {
    row(name, `${ms.toFixed(3)} ms (${Math.round(1000 / ms)}/s)`, `opa eval ${opaMs.toFixed(1)} ms`, opaMs / ms, "< 1 ms a decision", ms < 1);
  }
}
