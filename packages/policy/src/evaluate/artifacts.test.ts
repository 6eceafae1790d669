import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { micromark } from "micromark";
import { gfm, gfmHtml } from "micromark-extension-gfm";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../load/load.js";
import { parsePolicyFile } from "../load/parse.js";
import { ecKeys, SHA_APP, SHA_OTHER, signedProvenance } from "../test-support/evidence.js";
import { evaluateArtifacts } from "./artifacts.js";
import { explainDecisions } from "./explain.js";
import { policySummaryMarkdown } from "./summary-markdown.js";

const ci = ecKeys();
const stranger = ecKeys();
const now = new Date("2026-12-04T12:00:00Z");
const cacheDir = mkdtempSync(join(tmpdir(), "provenant-policy-"));

// A rule name an attacker could choose (a policy from a pull request, say): a link, HTML, a table cell.
const HOSTILE_RULE = "release | [approve](https://evil.example) <img src=x>";

/** Written as JSON (a policy file may be YAML or JSON): the hostile name needs no YAML quoting. */
async function policy() {
  const file = {
    apiVersion: "provenant.dev/v1",
    trust: { keys: [{ name: "ci", pem: ci.pem }] },
    rules: [
      { name: HOSTILE_RULE, match: { artifacts: ["dist/*.tgz", "::error::*"] }, provenance: { signers: { keys: ["ci"] } } },
      { name: "docs only", match: { artifacts: ["docs/*"] }, provenance: { signers: { keys: ["ci"] } } },
    ],
  };
  return compilePolicy(parsePolicyFile(JSON.stringify(file), "policy.json"), { source: "policy.json", cacheDir });
}

describe("evaluateArtifacts", () => {
  it("decides each artifact with its own evidence, in order, and reports the lowest SLSA level", async () => {
    const loaded = await policy();
    const good = [await signedProvenance(ci.privateKey)];
    const result = await evaluateArtifacts(
      loaded,
      [
        { artifact: { name: "dist/app-1.4.0.tgz", digest: { sha256: SHA_APP } }, documents: good },
        { artifact: { name: "dist/other.tgz", digest: { sha256: SHA_OTHER } }, documents: [await signedProvenance(stranger.privateKey, {}, SHA_OTHER)] },
      ],
      { now },
    );
    expect(result.decisions.map((d) => [d.artifact.name, d.decision.allowed])).toEqual([
      ["dist/app-1.4.0.tgz", true],
      ["dist/other.tgz", false],
    ]);
    expect(result.allowed).toBe(false);
    expect(result.slsaLevel).toBe(0);

    const one = await evaluateArtifacts(loaded, [{ artifact: { name: "dist/app-1.4.0.tgz", digest: { sha256: SHA_APP } }, documents: good }], { now });
    expect(one.allowed).toBe(true);
    expect(one.slsaLevel).toBe(one.decisions[0]!.decision.report!.slsaLevel.level);
    expect(one.slsaLevel).toBeGreaterThan(0);
  });

  it("allows nothing when given no artifacts", async () => {
    expect(await evaluateArtifacts(await policy(), [], { now })).toEqual({ allowed: false, decisions: [], slsaLevel: 0 });
  });
});

describe("explainDecisions", () => {
  it("heads each artifact's rule lines with `artifact NAME`, so no line starts with evidence text", async () => {
    const result = await evaluateArtifacts(
      await policy(),
      [
        { artifact: { name: "dist/app-1.4.0.tgz", digest: { sha256: SHA_APP } }, documents: [await signedProvenance(ci.privateKey)] },
        { artifact: { digest: { sha256: SHA_OTHER } }, documents: [] },
      ],
      { now },
    );
    const lines = explainDecisions(result.decisions);
    expect(lines[0]).toBe("artifact dist/app-1.4.0.tgz");
    expect(lines).toContain(`  PASS  rule ${HOSTILE_RULE}: ${result.decisions[0]!.decision.rules[0]!.reason}`);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}N\/A {3}rule docs only: /));
    expect(lines).toContain(`artifact sha256:${SHA_OTHER}`);
    expect(lines.at(-1)).toMatch(/^ {2}DENIED: /);
    expect(lines.filter((l) => !l.startsWith("  ")).every((l) => l.startsWith("artifact "))).toBe(true);
  });
});

describe("policySummaryMarkdown", () => {
  const render = (markdown: string) => micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

  it("tables every rule and check per artifact, denied first, with hostile names inert", async () => {
    const result = await evaluateArtifacts(
      await policy(),
      [
        { artifact: { name: "dist/app-1.4.0.tgz", digest: { sha256: SHA_APP } }, documents: [await signedProvenance(ci.privateKey)] },
        { artifact: { name: "::error::[x](https://evil.example)", digest: { sha256: SHA_OTHER } }, documents: [] },
      ],
      { now },
    );
    const summary = policySummaryMarkdown({ policyPath: "policy|x.yaml", policyDigest: { sha256: "ab".repeat(32) }, ...result });
    expect(summary).toMatch(/^## Policy DENIED\n/);
    expect(summary).toContain(`(\`sha256:${"ab".repeat(32)}\`), 2 artifact(s).`);
    // The denied artifact comes first.
    expect(summary.indexOf("### ❌")).toBeLessThan(summary.indexOf("### ✅ `dist/app-1.4.0.tgz`: allowed"));
    expect(summary).toContain("| ➖ | docs only | | not applicable: ");
    const html = render(summary);
    expect(html).not.toMatch(/<a |<img/);
    // Every body row keeps its four cells, the hostile rule name included.
    for (const row of html.match(/<tr>[\s\S]*?<\/tr>/g) ?? []) expect(row.match(/<t[dh]/g)).toHaveLength(4);
    expect(html).toContain("<td>release | [approve](https://evil.example) &lt;img src=x&gt;</td>");
  });

  it("shows at most maxArtifacts sections and says how many more the log holds", async () => {
    const loaded = await policy();
    const evidence = [0, 1, 2].map((i) => ({ artifact: { name: `dist/a${i}.tgz`, digest: { sha256: SHA_APP } }, documents: [] }));
    const result = await evaluateArtifacts(loaded, evidence, { now });
    const summary = policySummaryMarkdown({ policyPath: "p.yaml", policyDigest: { sha256: "00".repeat(32) }, ...result }, { maxArtifacts: 2 });
    expect(summary.match(/^### /gm)).toHaveLength(2);
    expect(summary).toContain("… and 1 more artifact(s); the job log lists every one.");
  });
});
