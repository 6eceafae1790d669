import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileCel } from "../cel/cel.js";
import { opaBinary } from "../test-support/opa.js";
import { opaModuleEvaluator } from "./opa-binary.js";
import { opaServerEvaluator } from "./opa-server.js";
import { wasmEvaluator } from "./wasm.js";

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "provenant-rego-"));

// The same rule as the CEL expression below: a release is built from a tag
// at SLSA Build L2 or higher, and its name ends in .tgz.
const MODULE = `package provenant.release

import rego.v1

# Helper rules, so that a missing field makes the condition false and the
# deny fire: OPA hoists references out of \`not\`, so
# \`not startswith(input.report.source.ref, ...)\` is undefined, not true, when
# the provenance records no source (the corpus below found that).
built_from_tag if startswith(input.report.source.ref, "refs/tags/")

at_least_l2 if input.report.slsaLevel.level >= 2

is_tgz if endswith(input.subject.name, ".tgz")

deny contains "release artifacts are built from tags" if not built_from_tag

deny contains "release artifacts need SLSA Build L2" if not at_least_l2

deny contains "release artifacts are .tgz files" if not is_tgz
`;
const CEL = compileCel(
  {
    expr: 'report.source.ref.startsWith("refs/tags/") && report.slsaLevel.level >= 2 && subject.name.endsWith(".tgz")',
    message: "release rule",
  },
  "test",
);
const ENTRYPOINT = "provenant/release/deny";

function inputOf(ref: string | undefined, level: number, name: string) {
  return {
    statement: null,
    predicate: null,
    subject: { name, digest: { sha256: "a".repeat(64) } },
    report: { verified: true, checks: [], signedBy: [], slsaLevel: { level, reason: "" }, ...(ref === undefined ? {} : { source: { ref } }) },
    evidence: {},
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

let bundle: Uint8Array;
let opaServer: ReturnType<typeof spawn> | undefined;
let serverUrl = "";

beforeAll(async () => {
  const opa = opaBinary();
  writeFileSync(join(work, "release.rego"), MODULE);
  await run(opa, ["build", "-t", "wasm", "-e", ENTRYPOINT, "-o", join(work, "bundle.tar.gz"), join(work, "release.rego")]);
  bundle = readFileSync(join(work, "bundle.tar.gz"));
  const port = await freePort();
  serverUrl = `http://127.0.0.1:${port}`;
  opaServer = spawn(opa, ["run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", join(work, "release.rego")], {
    stdio: "ignore",
  });
  // Ready when its health endpoint answers; bounded by count, not by time.
  for (let attempt = 0; attempt < 200; attempt++) {
    const ok = await fetch(`${serverUrl}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("opa run --server did not become healthy");
}, 120_000);

afterAll(() => {
  opaServer?.kill();
});

describe("Rego through the real OPA", () => {
  it("wasm bundle (opa build -t wasm), opa-compiled module and OPA server give the same deny messages", async () => {
    const evaluators = [
      await wasmEvaluator(bundle, ENTRYPOINT, "bundle.tar.gz"),
      await opaModuleEvaluator(MODULE, ENTRYPOINT, "release.rego", { opa: opaBinary(), cacheDir: join(work, "cache") }),
      opaServerEvaluator(serverUrl, ENTRYPOINT),
    ];
    for (const evaluator of evaluators) {
      expect(await evaluator.evaluate(inputOf("refs/tags/v1.0.0", 3, "app.tgz")), evaluator.description).toEqual({ pass: true, messages: [] });
      const denied = await evaluator.evaluate(inputOf("refs/heads/main", 1, "app.tgz"));
      expect(denied.pass).toBe(false);
      expect([...denied.messages].sort()).toEqual(["release artifacts are built from tags", "release artifacts need SLSA Build L2"]);
    }
  });

  it("names the missing entrypoint and refuses bytes that are not a bundle", async () => {
    await expect(wasmEvaluator(bundle, "provenant/other/deny", "bundle.tar.gz")).rejects.toMatchObject({ code: "INVALID_POLICY" });
    await expect(wasmEvaluator(Buffer.from("not wasm"), ENTRYPOINT, "x")).rejects.toMatchObject({ code: "INVALID_POLICY" });
  });

  it("reports Rego that does not compile with opa's own message", async () => {
    await expect(
      opaModuleEvaluator("package p\n deny contains x if {", "p/deny", "broken.rego", { opa: opaBinary(), cacheDir: join(work, "cache") }),
    ).rejects.toMatchObject({ code: "INVALID_POLICY", message: expect.stringContaining("Rego does not compile") });
  });

  it("an unreachable OPA server is POLICY_UNAVAILABLE", async () => {
    const port = await freePort();
    await expect(opaServerEvaluator(`http://127.0.0.1:${port}`, ENTRYPOINT).evaluate({})).rejects.toMatchObject({ code: "POLICY_UNAVAILABLE" });
  });

  it("the same rule in CEL and in Rego decides alike on a generated corpus", async () => {
    const wasm = await wasmEvaluator(bundle, ENTRYPOINT, "bundle.tar.gz");
    const ref = fc.option(
      fc.oneof(
        fc.stringMatching(/^refs\/(heads|tags)\/[a-z0-9.v-]{1,12}$/),
        fc.constantFrom("refs/tags/v1.2.3", "refs/heads/main", "refs/merge-requests/1/head", "refs/tags/", "tags/v1"),
      ),
      { nil: undefined },
    );
    const name = fc.oneof(fc.stringMatching(/^[a-z/.-]{0,12}(\.tgz)?$/), fc.constantFrom("app.tgz", "app.tgz.sig", ".tgz"));
    await fc.assert(
      fc.asyncProperty(ref, fc.integer({ min: 0, max: 3 }), name, async (r, level, n) => {
        const input = inputOf(r, level, n);
        const cel = CEL.evaluate(input);
        const rego = await wasm.evaluate(input);
        expect(rego.pass).toBe(cel.pass);
      }),
      { numRuns: 300 },
    );
  });
});
