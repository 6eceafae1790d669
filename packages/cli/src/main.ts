import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type ErrorCode, isProvenantError, ProvenantError } from "@provenant/core";
import { keysGenerate } from "./commands/keys.js";
import { listSubjects } from "./commands/subjects.js";
import { runAttest } from "./commands/attest.js";
import { runVerify } from "./commands/verify.js";
import { runInspect } from "./commands/inspect.js";
import { registerOciCommands, registryFlags, registryOptionsOf, runVerifyImage } from "./commands/oci.js";
import type { Io } from "./io.js";
import { CLI_VERSION } from "./platforms/registry.js";

/** Codes that mean "you gave me something I cannot use": exit 2. */
const INPUT_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "USAGE",
  "MALFORMED_JSON",
  "IO_ERROR",
  "KEY_UNREADABLE",
  "KEY_PASSWORD_WRONG",
  "KEY_UNSUPPORTED",
  "NO_SUBJECTS_MATCHED",
  "EMPTY_SUBJECTS",
  "INVALID_DIGEST",
  "INVALID_POLICY",
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

/** A whole number option: `--threshold abc` is a usage error, not a NaN threshold. */
const wholeNumber = (minimum: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < minimum) {
    throw new InvalidArgumentError(`expected a whole number of at least ${minimum}`);
  }
  return Number(value);
};

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command("provenant")
    .description("Generate, sign and verify SLSA v1.0 build provenance on any CI system or locally.")
    .version(CLI_VERSION, "-V, --version")
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Usage errors in the same one-line form as every other error.
      outputError: (text) => {
        const message = text.trim().replace(/^error: /, "");
        io.stderr(`provenant: error [USAGE]: ${message}; run with --help for usage\n`);
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
    .option("--password-env <var>", "encrypt the private key with the password in this environment variable")
    .option("-f, --force", "overwrite existing files", false)
    .action(async (opts) => {
      setExit(await keysGenerate(opts, io));
    });

  const subjectOptions = (command: Command) =>
    registryFlags(
      command
        .option("--checksums <file>", "sha256sum-format file of name/digest pairs (repeatable)", collect, [])
        .option("--digest <name=sha256:hex>", "a subject given by digest (repeatable)", collect, []),
    );

  subjectOptions(
    program
      .command("subjects")
      .description("list artifacts with their sha256 digests (directories recurse, globs expand)")
      .argument("[paths...]", "files, directories or globs"),
  )
    .option("--json", "print the subjects as JSON", false)
    .action(async (paths: string[], opts) => {
      setExit(
        await listSubjects(
          { patterns: paths, checksumFiles: opts.checksums, digests: opts.digest, progress: !opts.json, json: opts.json, registry: registryOptionsOf(opts) },
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
    .option("--intoto-jsonl <file>", "also append the DSSE envelope to this .intoto.jsonl collection")
    .option("--token-audience <aud>", "audience expected in the platform's OIDC token")
    .option("--token-variable <name>", "variable holding the platform's OIDC token")
    .option("--token-issuer <url>", "expected OIDC token issuer, where the platform allows one other than its default (an option, never an environment variable a build step could set)")
    .option("--json", "print a JSON summary", false)
    .action(async (subjects: string[], opts) => {
      setExit(
        await runAttest(
          {
            patterns: subjects,
            checksumFiles: opts.checksums,
            digests: opts.digest,
            key: opts.key,
            platform: opts.platform,
            bundle: opts.bundle,
            intotoJsonl: opts.intotoJsonl,
            json: opts.json,
            platformOptions: { tokenAudience: opts.tokenAudience, tokenVariable: opts.tokenVariable, tokenIssuer: opts.tokenIssuer },
            push: opts.push,
            registry: registryOptionsOf(opts),
          },
          io,
        ),
      );
    });

  registryFlags(program.command("verify"))
    .description("verify a bundle or .intoto.jsonl against trusted keys, the artifacts and a policy (exit 0 verified, 1 failed, 2 bad input)")
    .argument("[artifacts...]", "artifacts whose digests must be subjects")
    .option("--digest <sha256:hex>", "an artifact digest (repeatable)", collect, [])
    .option("-b, --bundle <file>", "Sigstore bundle or .intoto.jsonl file")
    .option("--image <image>", "verify the attestations stored beside this image in its registry instead of a bundle file")
    .option("-k, --key <pubfile>", "trusted public key, PEM (repeatable)", collect, [])
    .option("--threshold <n>", "distinct trusted keys that must have signed", wholeNumber(1), 1)
    .option("--builder-id <id>", "required builder id (name part matches when it has no @ref)")
    .option("--build-type <uri>", "required buildType")
    .option("--source-uri <uri>", "required source repository, globs allowed: github.com/acme/*")
    .option("--source-branch <branch>", "required source branch (globs allowed)")
    .option("--source-tag <tag>", "required source tag (globs allowed)")
    .option("--source-versioned-tag <range>", "required semver range for the source tag, e.g. ^1.2.0")
    .option("--slsa-level <n>", "minimum SLSA Build level", wholeNumber(0))
    .option("--json", "print the report as JSON", false)
    .option("--verbose", "with --image: the full report of every stored attestation, not only of the one that verified", false)
    .action(async (artifacts: string[], opts) => {
      const policy = Object.fromEntries(
        Object.entries({
          builderId: opts.builderId,
          buildType: opts.buildType,
          sourceUri: opts.sourceUri,
          sourceBranch: opts.sourceBranch,
          sourceTag: opts.sourceTag,
          sourceVersionedTag: opts.sourceVersionedTag,
          minimumLevel: opts.slsaLevel,
        }).filter(([, v]) => v !== undefined),
      );
      if (opts.image) {
        if (opts.bundle || artifacts.length > 0 || opts.digest.length > 0) {
          throw new ProvenantError("USAGE", "--image verifies what the registry stores for that image; give it without --bundle, ARTIFACT or --digest");
        }
        const inputs = { image: opts.image, keys: opts.key, threshold: opts.threshold, policy, json: opts.json, verbose: opts.verbose };
        setExit(await runVerifyImage({ ...inputs, ...registryOptionsOf(opts) }, io));
        return;
      }
      setExit(
        await runVerify(
          { artifacts, digests: opts.digest, bundle: opts.bundle, keys: opts.key, threshold: opts.threshold, policy, json: opts.json },
          io,
        ),
      );
    });

  program
    .command("inspect")
    .description("show what a bundle or envelope claims (subjects, source, builder) WITHOUT verifying it")
    .argument("<file>", "Sigstore bundle, DSSE envelope or .intoto.jsonl")
    .option("--json", "print as JSON", false)
    .action(async (file: string, opts) => {
      setExit(await runInspect({ file, json: opts.json }, io));
    });

  registerOciCommands(program, io, setExit);

  return program;
}

/**
 * Runs the CLI in-process and returns the exit code: 0 success (verified),
 * 1 failure (verification failed), 2 bad usage or unreadable input.
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isProvenantError(error)) {
      io.stderr(`provenant: error [${error.code}]: ${error.message}\n`);
      return INPUT_ERRORS.has(error.code) ? 2 : 1;
    }
    io.stderr(`provenant: unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  }
}
