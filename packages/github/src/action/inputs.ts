import { ProvenantError } from "@provenant/core";

/** What the attest action was given (action.yml `inputs`), read once by the entry. */
export interface AttestActionInputs {
  subjectPaths: string[];
  subjectDigest: string;
  subjectName: string;
  subjectChecksums: string[];
  signingKey: string;
  keyPassword: string;
  bundlePath: string;
  tokenAudience: string;
  oidcIssuer: string;
  githubToken: string;
}

/** What the verify action was given. */
export interface VerifyActionInputs {
  bundlePath: string;
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

export function attestInputsFrom(get: GetInput): AttestActionInputs {
  return {
    subjectPaths: splitList(get("subject-path")),
    subjectDigest: get("subject-digest").trim(),
    subjectName: get("subject-name").trim(),
    subjectChecksums: splitList(get("subject-checksums")),
    signingKey: get("signing-key"),
    keyPassword: get("key-password"),
    bundlePath: get("bundle-path").trim() || "provenance.sigstore.json",
    tokenAudience: get("token-audience").trim(),
    oidcIssuer: get("oidc-issuer").trim(),
    githubToken: get("github-token").trim(),
  };
}

export function verifyInputsFrom(get: GetInput): VerifyActionInputs {
  const bundlePath = get("bundle-path").trim();
  if (!bundlePath) throw new ProvenantError("USAGE", "the bundle-path input is empty; expected the Sigstore bundle to verify");
  return {
    bundlePath,
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
  };
}

/** Lines of a PEM key worth masking: everything but the BEGIN/END armour. */
export function secretLinesOf(pem: string): string[] {
  return pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("-----"));
}
