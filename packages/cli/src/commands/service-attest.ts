import { resolve } from "node:path";
import { ProvenantError, printable } from "@provenant/core";
import { checkServiceAudience, requestServiceToken } from "@provenant/azure-pipelines/service";
import { DEFAULT_TOKEN_VARIABLE as GITLAB_TOKEN_VARIABLE } from "@provenant/gitlab/service";
import { canRequestIdToken, requestIdToken } from "@provenant/github/service";
import { serviceIdToken as jenkinsIdToken } from "@provenant/jenkins/service";
import { type Io, replaceFileAtomically } from "../io.js";
import { resolveSubjects, type SubjectInputs } from "@provenant/subjects";
import { subjectProgress } from "../output/progress.js";
import { choosePlatform } from "./attest.js";
import { vaultBaseUrl } from "@provenant/server-client";
import { requestServiceProvenance } from "@provenant/server-client";

export interface ServiceAttestInputs extends Omit<SubjectInputs, "progress"> {
  server: string;
  platform: string;
  bundle: string;
  json: boolean;
  /** The audience the server expects (default: the server's URL). */
  tokenAudience?: string;
  /** GitLab: the `id_tokens` variable holding a token for the server's audience; Jenkins: the variable the id token credential is bound to. */
  tokenVariable?: string;
  /**
   * What the server fetches and hashes itself rather than taking this job's
   * word: `oci://REGISTRY/REPO@sha256:…` (from its registries) or an
   * `https://` file URL (from its file sources).
   */
  serverFetch?: readonly string[];
}

/**
 * `provenant attest SUBJECT… --server URL`: the signing service builds and
 * signs the provenance from this job's OIDC token; this command only sends
 * the token and the subjects and writes the bundle it gets back (with its
 * log proof). No key is involved, and nothing falls back to one: without a
 * reachable server or a token the command fails.
 */
export async function runServiceAttest(inputs: ServiceAttestInputs, io: Io): Promise<number> {
  const { images, files } = splitServerFetch(inputs.serverFetch ?? []);
  const local = inputs.patterns.length + inputs.checksumFiles.length + inputs.digests.length;
  if (local + images.length + files.length === 0) {
    throw new ProvenantError("EMPTY_SUBJECTS", "no subjects; give SUBJECT..., --checksums FILE, --digest NAME=sha256:HEX or --server-fetch REF");
  }
  const base = vaultBaseUrl(inputs.server);
  const audience = inputs.tokenAudience ?? base.origin;
  const token = await jobToken(choosePlatform(inputs.platform, io.env), audience, inputs.tokenVariable, io, inputs.tokenAudience);
  const subjects = local === 0 ? [] : await resolveSubjects({ ...inputs, progress: subjectProgress(io, !inputs.json) }, io);
  const answer = await requestServiceProvenance({ server: inputs.server, token, subjects, images, files });
  const path = resolve(io.cwd, inputs.bundle);
  await replaceFileAtomically(path, `${JSON.stringify(answer.bundle, null, 2)}\n`);
  const count = subjects.length + images.length + files.length;
  if (inputs.json) io.stdout(`${JSON.stringify({ bundle: path, logIndex: answer.logIndex, subjects: count, hashedByService: images.length + files.length })}\n`);
  const byService = images.length + files.length > 0 ? ` (${images.length + files.length} fetched and hashed by the service)` : "";
  io.stderr(`provenance for ${count} subject(s)${byService} signed by the service at ${base.origin}: log index ${answer.logIndex}; wrote ${path}\n`);
  return 0;
}

/** This job's OIDC ID token for the server's audience, as each platform hands it out. */
async function jobToken(platform: string, audience: string, variable: string | undefined, io: Io, requestedAudience?: string): Promise<string> {
  if (platform === "github") {
    if (!canRequestIdToken(io.env)) {
      throw new ProvenantError("PLATFORM_FACTS_MISSING", "--server needs the job's ID token: grant the job `permissions: id-token: write`");
    }
    return requestIdToken(io.env, audience, globalThis.fetch);
  }
  if (platform === "gitlab") {
    const name = variable ?? GITLAB_TOKEN_VARIABLE;
    const token = io.env[name];
    if (!token) {
      throw new ProvenantError(
        "PLATFORM_FACTS_MISSING",
        `--server needs the job's ID token in ${name}: add \`id_tokens: { ${name}: { aud: "${audience}" } }\` to the job`,
      );
    }
    return token;
  }
  // The oidc-provider credential bound by withCredentials: the token, or the path of its file.
  if (platform === "jenkins") return jenkinsIdToken(io.env, io.cwd, variable, audience);
  if (platform === "azure-pipelines") {
    // Azure's token always carries api://AzureADTokenExchange: the server's trusted issuer lists that audience.
    checkServiceAudience(requestedAudience);
    return requestServiceToken(io.env, globalThis.fetch);
  }
  throw new ProvenantError(
    "USAGE",
    `--server: the signing service signs GitHub Actions, GitLab CI, Jenkins and Azure Pipelines tokens; ${platform} is not supported yet (attest with --key there)`,
  );
}

/** `--server-fetch` values: images by digest (`oci://` optional) and http(s) file URLs. */
function splitServerFetch(values: readonly string[]): { images: string[]; files: string[] } {
  const images: string[] = [];
  const files: string[] = [];
  for (const value of values) {
    if (/^https?:\/\//i.test(value)) files.push(value);
    else if (/@sha256:[0-9a-f]{64}$/.test(value)) images.push(value.replace(/^oci:\/\//, ""));
    else {
      throw new ProvenantError(
        "USAGE",
        `--server-fetch ${printable(value.slice(0, 200))}: expected an image by digest (oci://REGISTRY/REPO@sha256:HEX) or a file URL (https://…)`,
      );
    }
  }
  return { images, files };
}
