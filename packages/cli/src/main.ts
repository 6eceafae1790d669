import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type ErrorCode, isProvenantError, ProvenantError, printableMessage } from "@provenant/core/base";
// Only what registering the commands needs is imported here: each action
// imports its command's module when it runs, so one command never loads
// another's dependencies (they are separate chunks of the published bin).
import { registerOciCommands } from "./commands/oci-commands.js";
import { registryFlags, registryOptionsOf } from "./commands/registry-flags.js";
import { logTrustOptions, registerVaultCommands } from "./commands/vault-commands.js";
import type { Io } from "./io.js";
import { CLI_VERSION } from "./version.js";

/** Codes that mean "you gave me something I cannot use": exit 2. */
const INPUT_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "USAGE",
  "MALFORMED_JSON",
  "JSON_TOO_DEEP",
  "INPUT_TOO_LARGE",
  "IO_ERROR",
  "KEY_UNREADABLE",
  "KEY_PASSWORD_WRONG",
  "KEY_PASSWORD_MISSING",
  "KEY_PASSWORD_TOO_SHORT",
  "KEY_UNSUPPORTED",
  "NO_SUBJECTS_MATCHED",
  "SUBJECT_OUTSIDE_ROOT",
  "EMPTY_SUBJECTS",
  "INVALID_DIGEST",
  "INVALID_POLICY",
  // A CI platform detected without the facts it always sets (GITHUB_ACTIONS=true, no GITHUB_REF): the job's input is wrong.
  "PLATFORM_FACTS_MISSING",
  // Thrown, not reported, only where a command reads a document without
  // verifying it (inspect, push): the file is unusable input. verify() reports these.
  "MALFORMED_BUNDLE",
  "MALFORMED_ENVELOPE",
  "MALFORMED_STATEMENT",
  "INVALID_BASE64",
  "WRONG_PAYLOAD_TYPE",
  "UNKNOWN_PREDICATE_TYPE",
]);

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--slsa-level 5` names the flag it came from (the policy field it fills is minimumLevel). */
const slsaLevel = (value: string) => {
  if (!/^[0-3]$/.test(value)) throw new ProvenantError("USAGE", `--slsa-level ${value}: expected 0 to 3`);
  return Number(value);
};

/** A whole number option: `--threshold abc` is a usage error, not a NaN threshold. */
const wholeNumber = (minimum: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < minimum) {
    throw new InvalidArgumentError(`expected a whole number of at least ${minimum}`);
  }
  return Number(value);
};

function buildProgram(io: Io, setExit: (code: number) => void, reportError: (code: string, message: string) => void): Command {
  const program = new Command("provenant")
    .description("Generate, sign and verify SLSA v1.0 build provenance on any CI system or locally.")
    .version(CLI_VERSION, "-V, --version")
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Usage errors in the same one-line form as every other error.
      outputError: (text) => {
        // One line: commander puts its did-you-mean suggestion on a line of its own.
        const message = text
          .trim()
          .replace(/^error: /, "")
          .split(/\s*\n\s*/)
          .join(" ");
        reportError("USAGE", `${message}; run with --help for usage`);
      },
    })
    .exitOverride();

  const keys = program.command("keys").description("manage signing keys");
  keys
    .command("generate")
    .description("write PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM); print the key id")
    .addOption(
      new Option("-a, --algorithm <name>", "key algorithm")
        .choices(["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-3072"])
        .default("ecdsa-p256"),
    )
    .option("-o, --out <prefix>", "path prefix of the two files", "provenant")
    .option("--password", "encrypt the private key (scrypt): the password from $PROVENANT_KEY_PASSWORD, or asked for on a terminal")
    .option("--password-env <var>", "encrypt the private key with the password in this environment variable")
    .option("-f, --force", "overwrite existing files", false)
    .action(async (opts) => {
      const { keysGenerate } = await import("./commands/keys.js");
      setExit(await keysGenerate(opts, io));
    });

  const subjectOptions = (command: Command) =>
    registryFlags(
      command
        .option("--checksums <file>", "sha256sum-format file of name/digest pairs (repeatable)", collect, [])
        .option("--digest <name=sha256:hex>", "a subject given by digest (repeatable)", collect, [])
        .option(
          "--subject-root <dir>",
          "directory subject names are relative to (default: the repository root, found by walking up to .git, else the working directory)",
        ),
    );

  subjectOptions(
    program
      .command("subjects")
      .description("list artifacts with their sha256 digests (directories recurse, globs expand)")
      .argument("[paths...]", "files, directories or globs"),
  )
    .option("--json", "print the subjects as JSON", false)
    .action(async (paths: string[], opts) => {
      const { listSubjects } = await import("./commands/subjects.js");
      setExit(
        await listSubjects(
          {
            patterns: paths,
            checksumFiles: opts.checksums,
            digests: opts.digest,
            json: opts.json,
            registry: registryOptionsOf(opts),
            ...(opts.subjectRoot !== undefined && { subjectRoot: opts.subjectRoot }),
          },
          io,
        ),
      );
    });

  subjectOptions(
    program
      .command("attest")
      .description("build SLSA provenance for the subjects on this platform, sign it and write a Sigstore bundle")
      .argument("[subjects...]", "files, directories, globs, or images: oci://REGISTRY/REPO[:TAG|@DIGEST], oci-layout:DIR[:TAG], docker-archive:FILE.tar"),
  )
    .option("--push", "push the bundle beside each oci:// subject in its registry", false)
    .option("-k, --key <file>", "PEM private key (default: $PROVENANT_SIGNING_KEY; password in $PROVENANT_KEY_PASSWORD)")
    .addOption(
      new Option("-p, --platform <name>", "CI platform whose facts to record")
        .choices(["auto", "github", "gitlab", "jenkins", "azure-pipelines", "local"])
        .default("auto"),
    )
    .option("-b, --bundle <file>", "where to write the Sigstore bundle", "provenance.sigstore.json")
    .option("-f, --force", "overwrite an existing bundle (the default path in CI is overwritten anyway)", false)
    .option("--intoto-jsonl <file>", "also append the DSSE envelope to this .intoto.jsonl collection")
    .option("--token-audience <aud>", "audience expected in the platform's OIDC token")
    .option("--token-variable <name>", "variable holding the platform's OIDC token")
    .option("--token-issuer <url>", "expected OIDC token issuer, where the platform allows one other than its default (an option, never an environment variable a build step could set)")
    .option("--json", "print a JSON summary", false)
    .option("--upload <url>", "upload the bundle to this evidence vault (token in $PROVENANT_TOKEN, else the job's OIDC token) and write back the bundle with its log proof")
    .option("--upload-audience <aud>", "audience of the OIDC token requested for --upload (default provenant-vault)")
    .option("--server <url>", "have this server's signing service build and sign the provenance from the job's OIDC token (no --key; SLSA Build L3)")
    .option(
      "--server-fetch <ref>",
      "with --server: a subject the server fetches and hashes itself, an image by digest (oci://REGISTRY/REPO@sha256:HEX) or a file URL under its file sources (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (subjects: string[], opts) => {
      if (opts.serverFetch && !opts.server) throw new ProvenantError("USAGE", "--server-fetch asks the signing service to hash a subject; give it with --server URL");
      if (opts.server) {
        const mixed = ["key", "upload", "uploadAudience", "intotoJsonl", "tokenIssuer"].filter((f) => opts[f] !== undefined);
        if (mixed.length > 0 || opts.push) {
          throw new ProvenantError("USAGE", "--server: the service signs with its own key and stores the result; leave out --key, --upload, --intoto-jsonl, --token-issuer and --push");
        }
        const { runServiceAttest } = await import("./commands/service-attest.js");
        setExit(
          await runServiceAttest(
            {
              patterns: subjects,
              checksumFiles: opts.checksums,
              digests: opts.digest,
              server: opts.server,
              platform: opts.platform,
              bundle: opts.bundle,
              json: opts.json,
              tokenAudience: opts.tokenAudience,
              tokenVariable: opts.tokenVariable,
              serverFetch: opts.serverFetch ?? [],
            },
            io,
          ),
        );
        return;
      }
      const { runAttest } = await import("./commands/attest.js");
      setExit(
        await runAttest(
          {
            patterns: subjects,
            checksumFiles: opts.checksums,
            digests: opts.digest,
            ...(opts.subjectRoot !== undefined && { subjectRoot: opts.subjectRoot }),
            key: opts.key,
            platform: opts.platform,
            bundle: opts.bundle,
            force: opts.force,
            intotoJsonl: opts.intotoJsonl,
            json: opts.json,
            platformOptions: { tokenAudience: opts.tokenAudience, tokenVariable: opts.tokenVariable, tokenIssuer: opts.tokenIssuer },
            push: opts.push,
            registry: registryOptionsOf(opts),
          },
          io,
        ),
      );
      if (opts.upload) {
        const { uploadAttestedBundle } = await import("./commands/server.js");
        setExit(await uploadAttestedBundle({ upload: opts.upload, bundle: opts.bundle, json: opts.json, audience: opts.uploadAudience }, io));
      }
    });

  const verifyCommand = program
    .command("verify")
    .description("verify a bundle or .intoto.jsonl against trusted keys, the artifacts and a policy (exit 0 verified, 1 failed, 2 bad input)")
    .argument("[artifacts...]", "artifacts whose digests must be subjects")
    .option("--digest <sha256:hex>", "an artifact digest (repeatable)", collect, [])
    .option("-b, --bundle <file>", "Sigstore bundle or .intoto.jsonl file (required, unless --image)")
    .option("-k, --key <pubfile>", "trusted public key, PEM (repeatable; required, unless --policy or --service-key)", collect, [])
    .option("--service-key <pubfile>", "a signing service's public key, PEM (repeatable): only its signatures can support SLSA Build L3", collect, [])
    .option("--threshold <n>", "distinct trusted keys that must have signed (at most the number of --key)", wholeNumber(1), 1)
    .option("--builder-id <id>", "required builder id (name part matches when it has no @ref)")
    .option("--build-type <uri>", "required buildType")
    .option("--source-uri <uri>", "required source repository, globs allowed: github.com/acme/* (required, unless --builder-id, --policy or --allow-any-source)")
    .option("--source-branch <branch>", "required source branch (globs allowed)")
    .option("--source-tag <tag>", "required source tag (globs allowed)")
    .option("--source-versioned-tag <range>", "required semver range for the source tag, e.g. ^1.2.0")
    .option("--slsa-level <n>", "minimum SLSA Build level, 0 to 3", slsaLevel)
    .option("--policy <file>", "a policy file (apiVersion provenant.dev/v1): its trust and rules replace --key and the flags above")
    .option("--evidence <file>", "with --policy: another attestation file (tests, scans, SBOMs, VSAs) (repeatable)", collect, [])
    .option("--vsa <file>", "with --policy: write a signed SLSA Verification Summary Attestation here")
    .option("--vsa-key <file>", "key that signs the VSA (default: $PROVENANT_SIGNING_KEY)")
    .option("--source-commit <sha>", "required source commit (full hex SHA)")
    .option("--predicate-type <uri>", "required predicate type (default SLSA provenance v1)")
    .option("--build-input <name=value>", "required build input value, e.g. workflow_dispatch inputs (repeatable)", collect, [])
    .option("--deny-self-hosted", "refuse provenance from self-hosted runners (GitHub and GitLab provenance)")
    .option("--allow-any-source", "verify without --source-uri or --builder-id: any repository the key signed for passes (the report says so)")
    .option("--max-bundle-bytes <n>", "refuse a --bundle larger than this many bytes (default 64 MiB)", wholeNumber(1))
    .option("--json", "print the report as JSON", false)
    .option("--verbose", "with --image: the full report of every stored attestation, not only of the one that verified", false);
  // Vault and registry options last: most gates verify a bundle file.
  logTrustOptions(
    verifyCommand.option("--server <url>", "fetch the attestations for the artifacts' digests from this evidence vault and check their log proofs"),
  );
  registryFlags(verifyCommand.option("--image <image>", "verify the attestations stored beside this image in its registry instead of a bundle file"))
    .action(async (artifacts: string[], opts) => {
      if (opts.policy) {
        const { POLICY_EXCLUSIVE_FLAGS, refuseFlagsBesidePolicy, runVerifyWithPolicy } = await import("./commands/policy.js");
        refuseFlagsBesidePolicy(POLICY_EXCLUSIVE_FLAGS.filter((f) => opts[f] !== undefined && opts[f] !== false && !(Array.isArray(opts[f]) && opts[f].length === 0)), opts.threshold);
        const sources = { image: opts.image, registry: registryOptionsOf(opts), server: opts.server, logKey: opts.logKey, trustedRoot: opts.trustedRoot, logOrigin: opts.logOrigin };
        setExit(
          await runVerifyWithPolicy(
            { artifacts, digests: opts.digest, bundle: opts.bundle, evidence: opts.evidence, policy: opts.policy, json: opts.json, vsa: opts.vsa, vsaKey: opts.vsaKey, ...sources },
            io,
          ),
        );
        return;
      }
      if (opts.evidence.length > 0 || opts.vsa) {
        throw new ProvenantError("USAGE", "--evidence and --vsa go with --policy FILE");
      }
      const { parseBuildInputs, requireIdentity, runVerify } = await import("./commands/verify.js");
      const policy = Object.fromEntries(
        Object.entries({
          builderId: opts.builderId,
          buildType: opts.buildType,
          sourceUri: opts.sourceUri,
          sourceBranch: opts.sourceBranch,
          sourceTag: opts.sourceTag,
          sourceVersionedTag: opts.sourceVersionedTag,
          minimumLevel: opts.slsaLevel,
          sourceCommit: opts.sourceCommit,
          predicateType: opts.predicateType,
          buildInputs: parseBuildInputs(opts.buildInput),
          denySelfHosted: opts.denySelfHosted,
        }).filter(([, v]) => v !== undefined),
      );
      requireIdentity(policy, opts.allowAnySource);
      const keyCount = opts.key.length + opts.serviceKey.length;
      if (keyCount > 0 && opts.threshold > keyCount) {
        throw new ProvenantError("USAGE", `--threshold ${opts.threshold}: only ${keyCount} key(s) given; expected at most that many`);
      }
      if (opts.server) {
        if (opts.bundle || opts.image) throw new ProvenantError("USAGE", "--server fetches the attestations; give it without --bundle or --image");
        const { runVerifyFromServer } = await import("./commands/server.js");
        const inputs = { server: opts.server, artifacts, digests: opts.digest, keys: opts.key, serviceKeys: opts.serviceKey, threshold: opts.threshold, policy, json: opts.json };
        setExit(await runVerifyFromServer({ ...inputs, logKey: opts.logKey, trustedRoot: opts.trustedRoot, logOrigin: opts.logOrigin }, io));
        return;
      }
      if (opts.image) {
        if (opts.bundle || artifacts.length > 0 || opts.digest.length > 0) {
          throw new ProvenantError("USAGE", "--image verifies what the registry stores for that image; give it without --bundle, ARTIFACT or --digest");
        }
        const { runVerifyImage } = await import("./commands/oci.js");
        const inputs = { image: opts.image, keys: opts.key, serviceKeys: opts.serviceKey, trustedRoot: opts.trustedRoot, threshold: opts.threshold, policy, json: opts.json, verbose: opts.verbose };
        setExit(await runVerifyImage({ ...inputs, ...registryOptionsOf(opts) }, io));
        return;
      }
      setExit(
        await runVerify(
          {
            artifacts,
            digests: opts.digest,
            bundle: opts.bundle,
            keys: opts.key,
            serviceKeys: opts.serviceKey,
            trustedRoot: opts.trustedRoot,
            threshold: opts.threshold,
            policy,
            json: opts.json,
            allowAnySource: opts.allowAnySource,
            maxBundleBytes: opts.maxBundleBytes,
          },
          io,
        ),
      );
    });

  program
    .command("inspect")
    .description("show what a bundle or envelope claims (subjects, source, builder) WITHOUT verifying it")
    .argument("<file>", "Sigstore bundle, DSSE envelope or .intoto.jsonl")
    .option("--max-bundle-bytes <n>", "refuse a FILE larger than this many bytes (default 64 MiB)", wholeNumber(1))
    .option("--json", "print as JSON", false)
    .action(async (file: string, opts) => {
      const { runInspect } = await import("./commands/inspect.js");
      setExit(await runInspect({ file, json: opts.json, maxBundleBytes: opts.maxBundleBytes }, io));
    });

  registerOciCommands(program, io, setExit);
  registerVaultCommands(program, io, setExit);

  const policy = program.command("policy").description("policy files: their JSON Schema, checking them, testing them against cases");
  policy
    .command("schema")
    .description("print the JSON Schema of policy files (apiVersion provenant.dev/v1)")
    .action(async () => {
      const { runPolicySchema } = await import("./commands/policy.js");
      setExit(runPolicySchema(io));
    });
  policy
    .command("check")
    .description("check a policy file: schema, keys load, CEL parses, Rego compiles")
    .argument("<file>", "policy file (YAML or JSON)")
    .option("--json", "print as JSON", false)
    .action(async (file: string, opts) => {
      const { runPolicyCheck } = await import("./commands/policy.js");
      setExit(await runPolicyCheck({ file, json: opts.json }, io));
    });
  policy
    .command("test")
    .description("run a policy against a directory of cases, each an evidence set with its expected decision")
    .argument("<file>", "policy file (YAML or JSON)")
    .requiredOption("--cases <dir>", "directory of case files (.yaml, .yml, .json)")
    .option("--json", "print as JSON", false)
    .action(async (file: string, opts) => {
      const { runPolicyTest } = await import("./commands/policy.js");
      setExit(await runPolicyTest({ file, cases: opts.cases, json: opts.json }, io));
    });

  addExamples(program);
  return program;
}

/** Two or three examples at the end of every command's --help. */
const EXAMPLES: Record<string, string[]> = {
  provenant: [
    "provenant keys generate --out release",
    "provenant attest dist/app.tgz --key release.key",
    "provenant verify dist/app.tgz --bundle provenance.sigstore.json --key release.pub --source-uri github.com/acme/app",
  ],
  keys: ["provenant keys generate --out keys/release --password"],
  "keys generate": ["provenant keys generate --out release", "provenant keys generate --algorithm ed25519 --out keys/ci --password"],
  subjects: ["provenant subjects dist/", "provenant subjects 'dist/**/*.tgz' --json", "provenant subjects oci://registry.example/acme/app:1.4.0"],
  attest: [
    "provenant attest 'dist/*.tgz' --key release.key --intoto-jsonl attestations.intoto.jsonl",
    "provenant attest oci://registry.example/acme/app:1.4.0 --push",
    "provenant attest dist/app.tgz --server https://provenant.example   # the signing service signs (SLSA Build L3)",
  ],
  verify: [
    "provenant verify dist/app.tgz --bundle provenance.sigstore.json --key release.pub --source-uri github.com/acme/app --source-versioned-tag '^1.4.0'",
    "provenant verify dist/app.tgz --policy release-policy.yaml --bundle provenance.sigstore.json --evidence tests.sigstore.json",
    "provenant verify --image registry.example/acme/app:1.4.0 --key release.pub --source-uri github.com/acme/*",
  ],
  inspect: ["provenant inspect provenance.sigstore.json", "provenant inspect attestations.intoto.jsonl --json"],
  push: ["provenant push --bundle provenance.sigstore.json oci://registry.example/acme/app@sha256:..."],
  attestations: ["provenant attestations list oci://registry.example/acme/app:1.4.0"],
  "attestations list": ["provenant attestations list oci://registry.example/acme/app:1.4.0", "provenant attestations list registry.example/acme/app@sha256:... --json"],
  policy: ["provenant policy check release-policy.yaml", "provenant policy test release-policy.yaml --cases policy-cases/"],
  "policy schema": ["provenant policy schema > provenant-policy.schema.json"],
  "policy check": ["provenant policy check release-policy.yaml", "provenant policy check release-policy.yaml --json"],
  "policy test": ["provenant policy test release-policy.yaml --cases policy-cases/"],
  server: ["provenant server", "provenant server --data /var/lib/provenant --listen 0.0.0.0:8080", "provenant server --database postgres://vault@db/provenant"],
  "server token": ["provenant server token create --project acme/app --scope upload"],
  "server token list": ["provenant server token list --data /var/lib/provenant", "provenant server token list --json"],
  "server token revoke": ["provenant server token revoke tok_0123456789abcdef --data /var/lib/provenant"],
  "server token create": [
    "provenant server token create --project acme/app --scope upload",
    "provenant server token create --project '*' --scope read --name admission   # a gate that checks every team's artifacts",
  ],
  "server key": ["provenant server key add --project acme/app --key release.pub"],
  "server key add": ["provenant server key add --project acme/app --key release.pub"],
  log: ["provenant log verify --server https://vault.acme.example --state vault-log.state"],
  "log verify": ["provenant log verify --server https://vault.acme.example --state vault-log.state --trusted-root trusted-root.json"],
};

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.length === 0 ? "provenant" : names.join(" ");
}

function addExamples(program: Command): void {
  const visit = (command: Command) => {
    const examples = EXAMPLES[commandPath(command)];
    if (examples) command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
    command.commands.forEach(visit);
  };
  visit(program);
}

/** Every command path, for the test that each has examples. */
export function commandPaths(): string[] {
  const program = buildProgram(
    { stdout: () => {}, stderr: () => {}, env: {}, cwd: "/", isTTY: false },
    () => {},
    () => {},
  );
  const paths: string[] = [];
  const visit = (command: Command) => {
    paths.push(commandPath(command));
    command.commands.forEach(visit);
  };
  visit(program);
  return paths;
}

export { EXAMPLES as HELP_EXAMPLES };

/**
 * Runs the CLI in-process and returns the exit code: 0 success (verified),
 * 1 failure (verification failed), 2 bad usage or unreadable input.
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode = 0;
  // Under --json an error is also a JSON object on stdout, so a script reading it always gets JSON.
  const json = argv.includes("--json");
  const reportError = (code: string, message: string) => {
    const shown = printableMessage(message);
    io.stderr(`provenant: error [${code}]: ${shown}\n`);
    if (json) io.stdout(`${JSON.stringify({ error: { code, message: shown } })}\n`);
  };
  const program = buildProgram(
    io,
    (code) => {
      exitCode = code;
    },
    reportError,
  );
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isProvenantError(error)) {
      // Messages quote file names, parser errors and arguments: escaped, credentials removed.
      reportError(error.code, error.message);
      return INPUT_ERRORS.has(error.code) ? 2 : 1;
    }
    const message = printableMessage((error as Error)?.message ?? String(error));
    io.stderr(`provenant: unexpected error: ${message}\n`);
    if (json) io.stdout(`${JSON.stringify({ error: { code: "UNEXPECTED", message } })}\n`);
    return 1;
  }
}
