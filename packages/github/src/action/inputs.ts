import { ProvenantError } from "@provenant/core";

/** What the attest action was given (action.yml `inputs`), read once by the entry. */
export interface AttestActionInputs {
  subjectPaths: string[];
  subjectDigest: string;
  subjectName: string;
  subjectChecksums: string[];
  /** Directory subject names are relative to (empty: the repository root). */
  subjectRoot?: string;
  signingKey: string;
  keyPassword: string;
  bundlePath: string;
  tokenAudience: string;
  oidcIssuer: string;
  githubToken: string;
  /** Push the bundle beside the image named by subject-name, as an OCI referrer. */
  pushToRegistry: boolean;
  registryUsername: string;
  registryPassword: string;
  /** A Provenant server whose signing service builds and signs the provenance (no signing-key then). */
  serverUrl: string;
}

/** What the verify action was given. */
export interface VerifyActionInputs {
  bundlePath: string;
  /** An image whose attestations are fetched from its registry instead of a bundle file. */
  image: string;
  registryUsername: string;
  registryPassword: string;
  subjectPaths: string[];
  subjectDigests: string[];
  publicKey: string;
  builderId: string;
  buildType: string;
  sourceUri: string;
  sourceBranch: string;
  sourceTag: string;
  sourceVersionedTag: string;
  slsaLevel: string;
  /** A policy file (apiVersion provenant.dev/v1) whose keys and rules replace public-key and the single-rule inputs. */
  policy: string;
  /** With policy: further attestation files (tests, scans, SBOMs, VSAs) for its evidence rules. */
  evidence: string[];
}

/**
 * Multi-value inputs as actions/attest reads them: one value a line or
 * comma separated, blanks ignored. Paths with commas are rare in build
 * outputs; such a file can be named through a glob.
 */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

type GetInput = (name: string) => string;

/** The YAML 1.2 core schema booleans, as `core.getBooleanInput` accepts them. */
const TRUE = ["true", "True", "TRUE"];
const FALSE = ["false", "False", "FALSE"];

export function booleanInput(get: GetInput, name: string): boolean {
  const value = get(name).trim();
  if (value === "" || FALSE.includes(value)) return false;
  if (TRUE.includes(value)) return true;
  throw new ProvenantError("USAGE", `the ${name} input is ${JSON.stringify(value)}; expected true or false`);
}

export function attestInputsFrom(get: GetInput): AttestActionInputs {
  return {
    subjectPaths: splitList(get("subject-path")),
    subjectDigest: get("subject-digest").trim(),
    subjectName: get("subject-name").trim(),
    subjectChecksums: splitList(get("subject-checksums")),
    subjectRoot: get("subject-root").trim(),
    signingKey: get("signing-key"),
    keyPassword: get("key-password"),
    bundlePath: get("bundle-path").trim() || "provenance.sigstore.json",
    tokenAudience: get("token-audience").trim(),
    oidcIssuer: get("oidc-issuer").trim(),
    githubToken: get("github-token").trim(),
    pushToRegistry: booleanInput(get, "push-to-registry"),
    registryUsername: get("registry-username").trim(),
    registryPassword: get("registry-password"),
    serverUrl: get("server-url").trim(),
  };
}

export function verifyInputsFrom(get: GetInput): VerifyActionInputs {
  const bundlePath = get("bundle-path").trim();
  const image = get("image").trim();
  if (!bundlePath && !image) {
    throw new ProvenantError("USAGE", "bundle-path and image are both empty; expected the Sigstore bundle to verify, or the image whose registry holds it");
  }
  if (bundlePath && image) {
    throw new ProvenantError("USAGE", "give bundle-path or image, not both: with image the attestations are read from the registry");
  }
  return {
    bundlePath,
    image,
    registryUsername: get("registry-username").trim(),
    registryPassword: get("registry-password"),
    subjectPaths: splitList(get("subject-path")),
    subjectDigests: splitList(get("subject-digest")),
    publicKey: get("public-key"),
    builderId: get("builder-id").trim(),
    buildType: get("build-type").trim(),
    sourceUri: get("source-uri").trim(),
    sourceBranch: get("source-branch").trim(),
    sourceTag: get("source-tag").trim(),
    sourceVersionedTag: get("source-versioned-tag").trim(),
    slsaLevel: get("slsa-level").trim(),
    policy: get("policy").trim(),
    evidence: splitList(get("evidence")),
  };
}

/** Lines of a PEM key worth masking: everything but the BEGIN/END armour. */
export function secretLinesOf(pem: string): string[] {
  return pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("-----"));
}
