import { type Bundle, parseDigestReference, ProvenantError, type Signer, signEnvelope, toBundle } from "@provenant/core";
import { type ArtifactUnderTest, evaluateArtifacts, explainDecision, type RuleOutcome, vsaStatement } from "@provenant/policy";
import * as z from "zod";
import type { CallerIdentity, Vault } from "../vault/types.js";
import type { ServerPolicy } from "./policies.js";

/** What `POST /v1/verify` needs besides the vault. */
export interface VerificationDeps {
  /** The stored policies by name (`loadServerPolicies`). */
  policies: ReadonlyMap<string, ServerPolicy>;
  /** Signs verification summaries (VSAs) when a request asks for them: the server's signing key. */
  signer?: Signer;
  /** The time provenance age and the VSA's timeVerified are measured at. */
  clock?: () => Date;
  /** The VSA's `verifier.id`. */
  verifierId?: string;
  limits?: Partial<VerificationLimits>;
}

export interface VerificationLimits {
  /** Artifacts one request may name (default 100). */
  maxArtifacts: number;
  /** Stored attestations evaluated for one artifact; more is refused rather than silently cut (default 1,000). */
  maxAttestations: number;
}

export const DEFAULT_VERIFICATION_LIMITS: VerificationLimits = { maxArtifacts: 100, maxAttestations: 1000 };

export const VerifyRequestSchema = z.strictObject({
  /** A stored policy's name (its file name under `<data>/policies` without extension). */
  policy: z.string().min(1).max(100),
  artifacts: z
    .array(
      z.strictObject({
        digest: z.string().max(200),
        /** Matched by the policy's `match.artifacts` globs; without it only rules that match every artifact apply. */
        name: z.string().min(1).max(1024).optional(),
        /** Image reference without tag or digest, matched by `match.images`. */
        image: z.string().min(1).max(2048).optional(),
      }),
    )
    .min(1),
  /** Also return a signed SLSA Verification Summary Attestation per artifact. */
  vsa: z.boolean().optional(),
});

export type VerifyRequest = z.infer<typeof VerifyRequestSchema>;

export interface ArtifactVerdict {
  digest: string;
  name?: string;
  image?: string;
  allowed: boolean;
  reason: string;
  rules: RuleOutcome[];
  /** The SLSA Build level of the provenance that decided, when one did. */
  slsaLevel?: { level: number; reason: string };
  /** How many stored attestations were evaluated. */
  attestations: number;
  /** The per-rule explanation every gate prints, as lines. */
  explanation: string[];
}

export interface VerifyAnswer {
  policy: { name: string; digest: { sha256: string } };
  allowed: boolean;
  artifacts: ArtifactVerdict[];
  /** One signed VSA bundle per artifact, in order, when asked for. */
  vsas?: Bundle[];
}

/** Checks the request's shape and caps; a bad field is named by its path. */
export function parseVerifyRequest(body: unknown, limits: VerificationLimits): VerifyRequest {
  const count = (body as { artifacts?: unknown } | null)?.artifacts;
  // The count cap first: a huge list costs no per-element parsing.
  if (Array.isArray(count) && count.length > limits.maxArtifacts) {
    throw new ProvenantError("TOO_MANY_SUBJECTS", `artifacts: ${count.length} given; at most ${limits.maxArtifacts} per request`);
  }
  const parsed = VerifyRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProvenantError(
      "USAGE",
      `${issue.path.join(".") || "the request body"}: ${issue.message}; expected { "policy": NAME, "artifacts": [{ "digest": "sha256:HEX", "name"?, "image"? }], "vsa"?: true }`,
    );
  }
  for (const [i, artifact] of parsed.data.artifacts.entries()) {
    if (!parseDigestReference(artifact.digest)) {
      throw new ProvenantError("INVALID_DIGEST", `artifacts.${i}.digest: expected sha256:<64 lowercase hex characters> (or sha384/sha512)`);
    }
  }
  return parsed.data;
}

/**
 * The server gate: evaluates a stored policy over the vault's attestations
 * for each artifact's digest, records each decision in the audit table
 * (who, which policy and its digest, which artifact, the decision) and
 * returns the decisions with their per-rule explanations. A denial is an
 * answer, not an error; errors are for requests that cannot be evaluated.
 */
export async function verifyArtifacts(
  request: VerifyRequest,
  caller: CallerIdentity,
  vault: Pick<Vault, "findByDigest" | "recordAudit">,
  deps: VerificationDeps,
): Promise<VerifyAnswer> {
  const limits = { ...DEFAULT_VERIFICATION_LIMITS, ...deps.limits };
  const stored = deps.policies.get(request.policy);
  if (!stored) {
    const known = [...deps.policies.keys()];
    throw new ProvenantError(
      "POLICY_NOT_FOUND",
      `no policy named ${JSON.stringify(request.policy)} on this server; ${known.length > 0 ? `it holds ${known.join(", ")}` : "it holds none (policy files go in <data>/policies)"}`,
    );
  }
  if (request.vsa && !deps.signer) {
    throw new ProvenantError("USAGE", "this server has no signing key for verification summaries; leave out vsa");
  }
  const now = (deps.clock ?? (() => new Date()))();
  const evidence: { artifact: ArtifactUnderTest; documents: unknown[] }[] = [];
  for (const artifact of request.artifacts) {
    const reference = parseDigestReference(artifact.digest)!;
    evidence.push({
      artifact: { digest: { [reference.algorithm]: reference.hex }, ...(artifact.name ? { name: artifact.name } : {}), ...(artifact.image ? { image: artifact.image } : {}) },
      documents: await storedDocuments(vault, artifact.digest, limits.maxAttestations),
    });
  }
  const { decisions } = await evaluateArtifacts(stored.policy, evidence, { now });
  const verdicts: ArtifactVerdict[] = request.artifacts.map((artifact, i) => {
    const { decision } = decisions[i]!;
    return {
      digest: artifact.digest,
      ...(artifact.name ? { name: artifact.name } : {}),
      ...(artifact.image ? { image: artifact.image } : {}),
      allowed: decision.allowed,
      reason: decision.reason,
      rules: decision.rules,
      ...(decision.report ? { slsaLevel: { level: decision.report.slsaLevel.level, reason: decision.report.slsaLevel.reason } } : {}),
      attestations: evidence[i]!.documents.length,
      // Per artifact, without explainDecisions' `artifact NAME` heading: the verdict names its artifact.
      explanation: explainDecision(decision),
    };
  });
  await vault.recordAudit(
    verdicts.map((v) => ({
      action: "policy.verify",
      target: `${stored.name} sha256:${stored.policy.digest.sha256} ${v.digest} ${v.allowed ? "allowed" : "denied"}`,
    })),
    caller,
  );
  const answer: VerifyAnswer = {
    policy: { name: stored.name, digest: stored.policy.digest },
    allowed: verdicts.every((v) => v.allowed),
    artifacts: verdicts,
  };
  if (request.vsa && deps.signer) {
    answer.vsas = [];
    for (const [i, artifact] of request.artifacts.entries()) {
      const reference = parseDigestReference(artifact.digest)!;
      const statement = vsaStatement({
        decision: decisions[i]!.decision,
        policy: stored.policy,
        policyUri: stored.file,
        artifact: { name: artifact.name ?? artifact.digest, digest: { [reference.algorithm]: reference.hex } },
        resourceUri: artifact.image ? `${artifact.image}@${artifact.digest}` : (artifact.name ?? artifact.digest),
        verifierId: deps.verifierId ?? "https://provenant.dev/verifier/server",
        timeVerified: now,
      });
      answer.vsas.push(toBundle(await signEnvelope(Buffer.from(JSON.stringify(statement)), [deps.signer])));
    }
  }
  return answer;
}

/** Every stored bundle for the digest, page by page, refused past the cap. */
async function storedDocuments(vault: Pick<Vault, "findByDigest">, digest: string, max: number): Promise<unknown[]> {
  const documents: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await vault.findByDigest({ digest, limit: 500, ...(cursor ? { cursor } : {}) });
    documents.push(...page.items.map((a) => a.bundle));
    if (documents.length > max) {
      throw new ProvenantError("INPUT_TOO_LARGE", `the vault holds more than ${max} attestations for ${digest}; the server evaluates at most ${max} per artifact`);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return documents;
}
