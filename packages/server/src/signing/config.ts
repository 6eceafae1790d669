import { ProvenantError } from "@provenant/core";
import * as z from "zod/mini";

/** The platforms whose tokens the signing service turns into provenance. */
export const SIGNING_PLATFORMS = ["github", "gitlab", "jenkins", "azure-pipelines"] as const;
export type SigningPlatform = (typeof SIGNING_PLATFORMS)[number];

const TrustedIssuerSchema = z.strictObject({
  /** The token's `iss`, compared exactly; discovery and JWKS are fetched under it. */
  issuer: z.string().check(z.minLength(1), z.maxLength(2048)),
  platform: z.enum(SIGNING_PLATFORMS),
  /** Audiences the server accepts from this issuer (the job requests a token for one of them). */
  audiences: z.array(z.string().check(z.minLength(1), z.maxLength(512))).check(z.minLength(1), z.maxLength(16)),
  /**
   * The platform's web URL: `https://github.com` for GitHub's issuer; a GitLab instance's URL (default: the issuer);
   * a Jenkins controller's URL (default: read from the issuer `<JENKINS_URL>oidc…`);
   * Azure Pipelines: the organization's collection URI (default `https://dev.azure.com/<organization of the token's sub>/`).
   */
  serverUrl: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  /** Skip discovery and read the keys here. */
  jwksUri: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  /**
   * Repository paths this issuer may sign for: `acme/app`, `acme/*` (one
   * path segment), `acme/**` (any depth, for GitLab subgroups). For Jenkins,
   * the job's full name (`acme/app/main`: folders, then the job). Required:
   * an issuer like github.com's signs for every repository on earth.
   */
  repositories: z.array(z.string().check(z.minLength(1), z.maxLength(512))).check(z.minLength(1), z.maxLength(1000)),
  /**
   * The builder pin: GitHub `job_workflow_ref` (e.g. a reusable workflow
   * `acme/builders/.github/workflows/build.yml@refs/tags/v1`, as
   * slsa-github-generator's trusted builder), GitLab `ci_config_ref_uri`,
   * Jenkins the controller's URL (`https://ci.example.com/`).
   * Same patterns as `repositories` plus `@`-suffixes compared exactly.
   * Absent: any workflow / CI config of an allowed repository.
   */
  builders: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(1024))).check(z.maxLength(1000))),
  /** Pinned builder commits: GitHub `job_workflow_sha`, GitLab `ci_config_sha`. Absent: any. */
  builderShas: z.optional(z.array(z.string().check(z.regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/))).check(z.maxLength(1000))),
  /**
   * Jenkins only: the operator declares the controller hardened (no builds
   * on the controller, single-use agents, sandboxed Pipelines; README), which
   * the provenance records and verifiers need for L3. Refused for other
   * platforms, whose tokens say where the job ran.
   */
  hardened: z.optional(z.boolean()),
  /**
   * Azure Pipelines only: learn from the Azure DevOps REST API, with the
   * server's own credential, whether every started job of the run ran on a
   * Microsoft-hosted pool (the token does not say), so that such provenance
   * can verify as L3. `credentialEnv` names the environment variable holding
   * a PAT (`scheme: "pat"`, default) or an Entra bearer token; the
   * credential is sent to `organizationUrl` only. `required`: refuse to sign
   * when the pools cannot be learned, instead of signing at L2.
   */
  enrichment: z.optional(
    z.strictObject({
      organizationUrl: z.url({ protocol: /^https?$/ }).check(z.maxLength(1024)),
      credentialEnv: z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.maxLength(128)),
      scheme: z.optional(z.enum(["pat", "bearer"])),
      required: z.optional(z.boolean()),
    }),
  ),
}).check(
  z.refine((issuer) => !issuer.hardened || issuer.platform === "jenkins", { message: "hardened applies to Jenkins issuers only", path: ["hardened"] }),
  z.refine((issuer) => !issuer.enrichment || issuer.platform === "azure-pipelines", { message: "enrichment applies to Azure Pipelines issuers only", path: ["enrichment"] }),
);
export type TrustedIssuer = z.infer<typeof TrustedIssuerSchema>;

const LimitsSchema = z.strictObject({
  /** Subjects one request may name. */
  maxSubjects: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100_000))),
  /** Characters of one subject name. */
  maxSubjectNameLength: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(4096))),
  /** Signed provenance requests per issuer and repository per window. */
  ratePerWindow: z.optional(z.number().check(z.int(), z.minimum(1))),
  /** The rate-limit window, seconds. */
  rateWindowSeconds: z.optional(z.number().check(z.int(), z.minimum(1))),
  /** Allowed skew for exp/nbf/iat, seconds. */
  clockSkewSeconds: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(300))),
});

export const SigningConfigSchema = z.strictObject({
  trustedIssuers: z.array(TrustedIssuerSchema).check(z.maxLength(100)),
  limits: z.optional(LimitsSchema),
  /** Registries (`host` or `host:port`) the server fetches images from to hash subjects itself (`images` in a request). */
  registries: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(100))),
  /** URL prefixes the server fetches files from to hash subjects itself (`files` in a request), each with an optional token variable. */
  fileSources: z.optional(
    z
      .array(
        z.strictObject({
          url: z.url({ protocol: /^https?$/ }).check(z.maxLength(1024)),
          tokenEnv: z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.maxLength(128))),
        }),
      )
      .check(z.maxLength(100)),
  ),
  /** Bytes one fetched file may have (default 1 GiB) and seconds one fetch may take (default 120). */
  fileLimits: z.optional(
    z.strictObject({
      maxBytes: z.optional(z.number().check(z.int(), z.minimum(1))),
      timeoutSeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3600))),
    }),
  ),
});
export type SigningConfig = z.infer<typeof SigningConfigSchema>;

export const DEFAULT_LIMITS = {
  maxSubjects: 1000,
  maxSubjectNameLength: 1024,
  ratePerWindow: 600,
  rateWindowSeconds: 60,
  clockSkewSeconds: 30,
} as const;

/** Parses the `signing` section of the server's config file; a bad field is named by its path. */
export function parseSigningConfig(value: unknown): SigningConfig {
  const parsed = z.safeParse(SigningConfigSchema, value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ProvenantError("USAGE", `signing config: ${["signing", ...issue.path].join(".")}: ${issue.message}`);
}

/**
 * Repository/builder patterns matched segment by segment, never as raw
 * text: `*` is one segment, `**` (last) any remaining ones. Hand-written
 * because the rule is these four lines, and a general glob would let `*`
 * cross `/` or `@` depending on its options.
 */
export function matchesPattern(pattern: string, value: string): boolean {
  const want = pattern.split("/");
  const got = value.split("/");
  for (let i = 0; i < want.length; i++) {
    if (want[i] === "**" && i === want.length - 1) return got.length > i;
    if (i >= got.length) return false;
    if (want[i] !== "*" && want[i] !== got[i]) return false;
    if (want[i] === "*" && (got[i] === "" || got[i]!.includes("@"))) return false;
  }
  return want.length === got.length;
}
