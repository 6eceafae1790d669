import { describe, expect, it } from "vitest";
import { readSignedDocumentsText } from "../bundle/read.js";
import { BUILD_TYPES } from "../buildtypes.js";
import { signEnvelope } from "../dsse/envelope.js";
import { keySigner } from "../dsse/signer.js";
import { isProvenantError } from "../error.js";
import { parseJsonText } from "../schemas/parse.js";
import { inspect } from "../statement/inspect.js";
import { attest } from "../statement/attest.js";
import { buildStatement } from "../statement/build.js";
import { COMMIT, ecKeys, SHA_A, SHA_B, sampleProvenance } from "../test-support.js";
import { verify, type VerifyOptions } from "./verify.js";

// Attack corpus for verification (issue 12 §4, §5 and issue 11 §3), beside
// the cryptographic attacks in verify.property.test.ts.
const keys = ecKeys();
const trusted = [{ publicKey: keys.publicKey }];
const subjects = [{ name: "app.tgz", digest: { sha256: SHA_A } }];
const base: VerifyOptions = { trustedKeys: trusted, artifactDigests: [{ sha256: SHA_A }], policy: { sourceUri: "gitlab.example.com/acme/app" } };

async function bundleFor(provenance = sampleProvenance()) {
  return (await attest(subjects, provenance, keySigner(keys.privateKey))).bundle;
}

function failed(report: ReturnType<typeof verify>) {
  return report.checks.filter((c) => c.status === "fail").map((c) => `${c.id}:${c.code}`);
}

function deepArray(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isProvenantError(error) ? error.code : "uncoded";
  }
  return undefined;
}

describe("resource caps", () => {
  it("refuses JSON nested 200,000 deep with a code, before anything walks it", () => {
    expect(codeOf(() => parseJsonText(deepArray(200_000), "bundle"))).toBe("JSON_TOO_DEEP");
    expect(codeOf(() => readSignedDocumentsText(deepArray(200_000), "bundle"))).toBe("JSON_TOO_DEEP");
  });

  it("reports a deeply nested parsed value as a failed bundle check, not a crash", () => {
    let value: unknown = [];
    for (let i = 0; i < 200_000; i++) value = [value];
    const report = verify({ mediaType: "x", nested: value }, base);
    expect(failed(report)).toEqual(["bundle:JSON_TOO_DEEP"]);
    expect(codeOf(() => inspect({ payloadType: "x", nested: value }))).toBe("JSON_TOO_DEEP");
  });

  it("refuses an envelope with more than 16 signatures", async () => {
    const bundle = await bundleFor();
    const envelope = bundle.dsseEnvelope!;
    const many = { ...envelope, signatures: Array.from({ length: 17 }, () => ({ sig: envelope.signatures[0]!.sig })) };
    expect(failed(verify(many, base))).toEqual(["bundle:MALFORMED_ENVELOPE"]);
    const sixteen = { ...envelope, signatures: Array.from({ length: 16 }, () => envelope.signatures[0]!) };
    expect(verify(sixteen, base).verified).toBe(true);
  });

  it("refuses a collection past the envelope cap", () => {
    const text = Array.from({ length: 11 }, () => "{}").join("\n");
    expect(codeOf(() => readSignedDocumentsText(text, "c.intoto.jsonl", { maxEnvelopes: 10 }))).toBe("INPUT_TOO_LARGE");
    expect(readSignedDocumentsText(text, "c.intoto.jsonl", { maxEnvelopes: 11 })).toHaveLength(11);
  });

  it("never quotes the raw bytes of invalid JSON in its error", () => {
    try {
      parseJsonText('{"a": \u001b[2J\n::error::injected', "bundle.json");
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain("\u001b");
      expect((error as Error).message).not.toContain("::error::");
      expect(isProvenantError(error, "MALFORMED_JSON")).toBe(true);
    }
  });
});

describe("what verification ignored is reported", () => {
  it("notes a bad signature naming a trusted key beside a good one", async () => {
    const bundle = await bundleFor();
    const good = bundle.dsseEnvelope!.signatures[0]!;
    const bad = { keyid: good.keyid, sig: Buffer.from("not a signature").toString("base64") };
    const report = verify({ ...bundle.dsseEnvelope!, signatures: [good, bad] }, base);
    expect(report.verified).toBe(true);
    expect(report.notes.join("\n")).toMatch(/names trusted key .* does not verify; it was ignored/);
  });

  it("notes a certificate-form bundle whose signature a trusted key verified", async () => {
    const bundle = await bundleFor();
    const { publicKey: _p, ...material } = bundle.verificationMaterial;
    const certified = { ...bundle, verificationMaterial: { ...material, certificate: { rawBytes: "MIIB" } } };
    const report = verify(certified, base);
    expect(report.verified).toBe(true);
    expect(report.notes.join("\n")).toMatch(/X\.509 certificate, which was not checked/);
  });

  it("notes transparency log entries that were not checked", async () => {
    const bundle = await bundleFor();
    const logged = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [{ logIndex: "1" }] } };
    expect(verify(logged, base).notes.join("\n")).toMatch(/1 transparency log entry; not checked/);
  });

  it("notes that no identity was required", async () => {
    const report = verify(await bundleFor(), { ...base, policy: {} });
    expect(report.verified).toBe(true);
    expect(report.notes.join("\n")).toMatch(/--allow-any-source/);
    expect(verify(await bundleFor(), base).notes).toEqual([]);
  });
});

describe("pins (issue 11 §3)", () => {
  it("names each artifact that is not a subject, by the name it was given", async () => {
    const report = verify(await bundleFor(), {
      ...base,
      artifactDigests: [{ sha256: SHA_A }, { sha256: SHA_B }, { sha256: "c".repeat(64) }],
      artifactNames: ["dist/app.tgz", "dist/other.tgz", "dist/third.tgz"],
    });
    const subject = report.checks.find((c) => c.id === "subject")!;
    expect(subject.code).toBe("SUBJECT_MISMATCH");
    expect(subject.artifacts).toEqual([
      { name: "dist/other.tgz", digest: `sha256:${SHA_B}` },
      { name: "dist/third.tgz", digest: `sha256:${"c".repeat(64)}` },
    ]);
  });

  it("pins the source commit", async () => {
    const bundle = await bundleFor();
    expect(verify(bundle, { ...base, policy: { ...base.policy, sourceCommit: COMMIT } }).verified).toBe(true);
    expect(failed(verify(bundle, { ...base, policy: { ...base.policy, sourceCommit: "f".repeat(40) } }))).toEqual(["sourceCommit:POLICY_DENIED"]);
  });

  it("pins the predicate type", async () => {
    const bundle = await bundleFor();
    expect(failed(verify(bundle, { ...base, policy: { ...base.policy, predicateType: "https://example.com/other/v1" } }))).toEqual([
      "predicateType:POLICY_DENIED",
    ]);
    const statement = { _type: "https://in-toto.io/Statement/v1", subject: subjects, predicateType: "https://example.com/test/v1", predicate: {} };
    const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), [keySigner(keys.privateKey)]);
    expect(verify(envelope, { ...base, policy: { predicateType: "https://example.com/test/v1" } }).verified).toBe(true);
    expect(failed(verify(envelope, { ...base, policy: { predicateType: "https://example.com/test/v1", sourceUri: "gitlab.example.com/acme/app" } }))).toEqual([
      "sourceUri:POLICY_DENIED",
    ]);
  });

  it("pins build inputs", async () => {
    const provenance = sampleProvenance({ buildType: BUILD_TYPES.github });
    provenance.buildDefinition.externalParameters = { inputs: { environment: "prod", dry: false } };
    const bundle = await bundleFor(provenance);
    expect(verify(bundle, { ...base, policy: { ...base.policy, buildInputs: { environment: "prod", dry: "false" } } }).verified).toBe(true);
    const denied = verify(bundle, { ...base, policy: { ...base.policy, buildInputs: { environment: "staging", missing: "x" } } });
    expect(failed(denied)).toEqual(["buildInputs:POLICY_DENIED"]);
    expect(denied.checks.find((c) => c.id === "buildInputs")!.reason).toMatch(/environment is "prod", expected "staging"; missing is not recorded/);
  });

  it("denies self-hosted runners on GitHub and GitLab, and says it cannot tell elsewhere", async () => {
    const github = sampleProvenance({ buildType: BUILD_TYPES.github });
    github.buildDefinition.internalParameters = { github: { runner_environment: "self-hosted" } };
    expect(failed(verify(await bundleFor(github), { ...base, policy: { ...base.policy, denySelfHosted: true } }))).toEqual(["hostedRunner:POLICY_DENIED"]);
    github.buildDefinition.internalParameters = { github: { runner_environment: "github-hosted" } };
    expect(verify(await bundleFor(github), { ...base, policy: { ...base.policy, denySelfHosted: true } }).verified).toBe(true);

    const gitlab = sampleProvenance();
    gitlab.runDetails.builder.id = "https://gitlab.example.com/-/runners/self-hosted";
    expect(failed(verify(await bundleFor(gitlab), { ...base, policy: { ...base.policy, denySelfHosted: true } }))).toEqual(["hostedRunner:POLICY_DENIED"]);
    gitlab.runDetails.builder.id = "https://gitlab.example.com/-/runners/gitlab-hosted";
    expect(verify(await bundleFor(gitlab), { ...base, policy: { ...base.policy, denySelfHosted: true } }).verified).toBe(true);

    const jenkins = sampleProvenance({ buildType: BUILD_TYPES.jenkins });
    expect(verify(await bundleFor(jenkins), { ...base, policy: { ...base.policy, denySelfHosted: true } }).checks.find((c) => c.id === "hostedRunner")?.reason).toMatch(
      /does not record whether the runner was hosted/,
    );
  });
});

describe("credentials never reach a signed statement", () => {
  it("strips userinfo and token parameters from every URL, whatever the adapter wrote", () => {
    const provenance = sampleProvenance();
    provenance.runDetails.metadata!.invocationId = "https://u:SECRET@gitlab.example.com/acme/app/-/jobs/7?private_token=SECRET";
    provenance.buildDefinition.internalParameters = { pipeline: { url: "https://u:SECRET@gitlab.example.com/acme/app/-/pipelines/1" } };
    const statement = buildStatement(subjects, provenance);
    expect(JSON.stringify(statement)).not.toMatch(/SECRET/);
    expect(statement.predicate.runDetails.metadata?.invocationId).toBe("https://gitlab.example.com/acme/app/-/jobs/7");
  });
});
