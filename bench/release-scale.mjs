// `pnpm bench` release-scale section (issue 14 §1): verifying a whole release
// (N artifacts against an N-subject bundle) must cost one lookup per artifact.
// Baseline: the short @sigstore/verify script a user would otherwise write
// (verify the bundle, then look each artifact digest up in a Set of subjects),
// on the same bundle in the same run.
import { createRequire } from "node:module";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export async function benchReleaseScale({ root, row, log, median, quick }) {
  const core = await import(pathToFileURL(join(root, "packages", "core", "dist", "index.js")).href);
  const fromCli = createRequire(join(root, "packages", "cli", "package.json"));
  const { bundleFromJSON } = fromCli("@sigstore/bundle");
  const { toSignedEntity, toTrustMaterial, Verifier } = fromCli("@sigstore/verify");
  const count = quick ? 10_000 : 100_000;
  log(`release scale: ${count} artifacts against a ${count}-subject bundle`);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer = core.keySigner(privateKey);
  const subjects = Array.from({ length: count }, (_, i) => ({ name: `dist/file-${i}.bin`, digest: { sha256: randomBytes(32).toString("hex") } }));
  const { bundle } = await core.attest(
    subjects,
    {
      buildDefinition: {
        buildType: core.BUILD_TYPES.gitlab,
        externalParameters: { project: "acme/app", ref: "refs/tags/v1.0.0" },
        resolvedDependencies: [core.sourceDependency("https://gitlab.example.com/acme/app", "refs/tags/v1.0.0", "0".repeat(40))],
      },
      runDetails: { builder: { id: "https://gitlab.example.com/runners/shared" }, metadata: { [core.FACTS_SOURCE_FIELD]: "oidc-token" } },
    },
    signer,
  );
  const text = JSON.stringify(bundle);
  const artifacts = subjects.map((s) => s.digest);
  const trustedKeys = [{ publicKey, keyId: signer.keyId }];

  const ours = () => {
    const report = core.verify(JSON.parse(text), { trustedKeys, artifactDigests: artifacts, policy: { sourceUri: "gitlab.example.com/acme/*" } });
    if (!report.verified) throw new Error(`core did not verify: ${JSON.stringify(report.checks.filter((c) => c.status === "fail"))}`);
  };
  const rawBytes = publicKey.export({ type: "spki", format: "der" });
  const trustedRoot = { mediaType: "", tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
  const verifier = new Verifier(toTrustMaterial(trustedRoot, { [signer.keyId]: { rawBytes, keyDetails: 0 } }), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  const peer = () => {
    const parsed = bundleFromJSON(JSON.parse(text));
    verifier.verify(toSignedEntity(parsed));
    const statement = JSON.parse(Buffer.from(parsed.content.dsseEnvelope.payload).toString("utf8"));
    const known = new Set(statement.subject.map((s) => s.digest.sha256));
    for (const a of artifacts) if (!known.has(a.sha256)) throw new Error("missing subject");
  };
  const time = (fn) => {
    const start = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  // Interleaved rounds, median of each: both contenders see the same machine.
  const mine = [];
  const theirs = [];
  for (let r = 0; r < 5; r++) {
    mine.push(time(ours));
    theirs.push(time(peer));
  }
  const a = median(mine);
  const b = median(theirs);
  row(
    `verify ${count} artifacts against a ${count}-subject bundle`,
    `core ${a.toFixed(0)} ms`,
    `@sigstore/verify script ${b.toFixed(0)} ms`,
    a / b,
    "<= 1.2x the peer script's time",
    a / b <= 1.2,
  );
}
