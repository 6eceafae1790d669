import { describe, expect, it } from "vitest";
import { provenance } from "../provenance.js";
import { pushToBranch } from "../test-support/scenarios.js";
import { attestSummary, verifySummary, verifyCommandFor } from "./summary.js";

const fields = provenance({ serverUrl: "https://github.com", claims: pushToBranch().claims, factsSource: "oidc-token" });
const digest = { sha256: "c".repeat(64) };

describe("job summary", () => {
  it("keeps a subject name with a pipe or HTML inside its table cell", () => {
    const summary = attestSummary({ subjects: [{ name: "a|b<script>", digest }], bundlePath: "p.json", keyId: "k", factsSource: "oidc-token", provenance: fields });
    expect(summary).toContain("| a\\|b&lt;script&gt; | `sha256:");
    // Raw only inside the fenced shell block, which Markdown shows as text.
    expect(summary.replace(/```sh\n[^`]*```/, "")).not.toContain("<script>");
  });

  it("shows a subject name or path holding a link, backticks or a fence as text", () => {
    const summary = attestSummary({
      subjects: [{ name: "[approve](https://evil.example)", digest }, { name: "x\n```\n# Forged heading", digest }],
      bundlePath: "out`put.json",
      keyId: "k",
      factsSource: "oidc-token",
      provenance: fields,
    });
    expect(summary).toContain("| \\[approve\\]\\(https\\://evil.example\\) |");
    // A backtick in the path cannot close its code span early.
    expect(summary).toContain("into ``out`put.json``.");
    // No line of the output starts the forged heading, and the shell block stays one block.
    expect(summary.split("\n")).not.toContain("# Forged heading");
    expect(summary.split("\n").filter((line) => /^`{3,}/.test(line))).toHaveLength(2);
  });

  it("escapes a verification report's reasons, which quote the bundle's fields", () => {
    const summary = verifySummary(
      {
        verified: false,
        checks: [{ id: "sourceUri", status: "fail", reason: "source is [login](https://evil.example) <b>" }],
        signedBy: [],
        slsaLevel: { level: 0, reason: "none" },
        notes: [],
      },
      { bundlePath: "p.json" },
    );
    expect(summary).toContain("source is \\[login\\]\\(https\\://evil.example\\) &lt;b&gt;");
  });

  it("says who signed: the signing service's provenance is verified with its service key, for L3", () => {
    const summary = attestSummary({ subjects: [{ name: "app.tgz", digest }], bundlePath: "p.json", keyId: "k", factsSource: "service-oidc-token", provenance: fields });
    expect(summary).toContain("Built and signed by the signing service");
    expect(summary).not.toContain("environment variables");
    expect(summary).toContain("provenant verify app.tgz --bundle p.json --service-key signing.pub --slsa-level 3 --builder-id");
    const keyed = attestSummary({ subjects: [{ name: "app.tgz", digest }], bundlePath: "p.json", keyId: "k", factsSource: "oidc-token", provenance: fields });
    expect(keyed).toContain("--key provenant.pub");
  });

  it("quotes a subject name for the shell in the verify command", () => {
    const command = verifyCommandFor([{ name: "my app's.tgz", digest }], "out dir/p.json", fields);
    expect(command).toBe(
      "provenant verify 'my app'\\''s.tgz' --bundle 'out dir/p.json' --key provenant.pub --builder-id https://github.com/Codertocat/Hello-World/.github/workflows/ci.yml --source-uri github.com/codertocat/hello-world --source-branch master",
    );
  });

  it("names the builder without its ref when the ref is a changesets tag holding @", () => {
    const ref = "refs/tags/@scope/pkg@1.0.0";
    const claims = { ...pushToBranch().claims, ref, job_workflow_ref: `Codertocat/Hello-World/.github/workflows/release.yml@${ref}` };
    const tagged = provenance({ serverUrl: "https://github.com", claims, factsSource: "oidc-token" });
    expect(verifyCommandFor([{ name: "pkg.tgz", digest }], "p.json", tagged)).toBe(
      "provenant verify pkg.tgz --bundle p.json --key provenant.pub --builder-id https://github.com/Codertocat/Hello-World/.github/workflows/release.yml --source-uri github.com/codertocat/hello-world --source-tag @scope/pkg@1.0.0",
    );
  });
});
