import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  BUILD_TYPES,
  type Bundle,
  FACTS_SOURCE_FIELD,
  attest,
  encodeBase64,
  keySigner,
  signEnvelope,
  sourceDependency,
  toBundle,
} from "@provenant/core";

/** A CI signing key as a project would register it. */
export interface TestSigner {
  privateKey: KeyObject;
  publicKeyPem: string;
}

export function testSigner(): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string };
}

export const artifactDigest = (n: number | string) => createHash("sha256").update(`artifact ${n}`).digest("hex");

/**
 * A signed SLSA v1.0 provenance bundle for artifact `n`, shaped like the
 * GitHub adapter's output (hosted buildType, facts from a verified OIDC
 * token, so SLSA Build L2), for repository github.com/<repository>.
 */
export async function signedProvenance(
  signer: TestSigner,
  n: number | string,
  options: { repository?: string; ref?: string; name?: string } = {},
): Promise<Bundle> {
  const repository = options.repository ?? "acme/app";
  const { bundle } = await attest(
    [{ name: options.name ?? `app-${n}.tgz`, digest: { sha256: artifactDigest(n) } }],
    {
      buildDefinition: {
        buildType: BUILD_TYPES.github,
        externalParameters: { workflow: { ref: options.ref ?? "refs/heads/main", repository: `https://github.com/${repository}`, path: ".github/workflows/release.yml" } },
        resolvedDependencies: [sourceDependency(`https://github.com/${repository}`, options.ref ?? "refs/heads/main", "c0ffee".padEnd(40, "0"))],
      },
      runDetails: {
        builder: { id: "https://github.com/actions/runner/github-hosted" },
        metadata: { invocationId: `https://github.com/${repository}/actions/runs/${n}/attempts/1`, [FACTS_SOURCE_FIELD]: "oidc-token" },
      },
    },
    keySigner(signer.privateKey),
  );
  return bundle;
}

/** A signed in-toto statement of another predicate type (stored at SLSA level 0). */
export async function signedOtherPredicate(signer: TestSigner, n: number | string): Promise<Bundle> {
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: `app-${n}.tgz`, digest: { sha256: artifactDigest(n) } }],
    predicateType: "https://in-toto.io/attestation/test-result/v0.1",
    predicate: { result: "PASSED" },
  };
  const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), [keySigner(signer.privateKey)]);
  return toBundle(envelope);
}

/** The same bundle with its payload altered after signing. */
export function tampered(bundle: Bundle): Bundle {
  const envelope = bundle.dsseEnvelope!;
  const payload = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
  payload.subject[0].digest.sha256 = "f".repeat(64);
  return { ...bundle, dsseEnvelope: { ...envelope, payload: encodeBase64(Buffer.from(JSON.stringify(payload))) } };
}
