import { type Command, Option } from "commander";
import type { Io } from "../io.js";

const collect = (value: string, previous: string[]) => [...previous, value];

/** Options shared by `verify --server` and `log verify`: the log key the verifier pins. */
export function logTrustOptions(command: Command): Command {
  return command
    .option("--log-key <pem>", "the vault's log public key (printed by provenant server)")
    .option("--trusted-root <file>", "a Sigstore trusted-root.json holding the vault's log key and marking its signing service key (written by provenant server)")
    .option("--log-origin <origin>", "the checkpoint origin to require (default: the trusted root's, or the checkpoint's own)");
}

/** `attestations list --server URL [--digest D]... [ARTIFACT]`: options added to the registry listing command. */
export function vaultListOptions(command: Command): Command {
  return command
    .option("--server <url>", "list what this evidence vault holds instead (token in $PROVENANT_TOKEN)")
    .option("--digest <sha256:hex>", "with --server: a digest to look up (repeatable)", collect, []);
}

export async function runVaultAttestationsList(artifact: string | undefined, opts: { server: string; digest: string[]; json: boolean }, io: Io): Promise<number> {
  const { runAttestationsList } = await import("./server.js");
  return runAttestationsList({ server: opts.server, targets: [...opts.digest, ...(artifact ? [artifact] : [])], json: opts.json }, io);
}

/**
 * `provenant server` and `provenant log verify` (`attestations list
 * --server` hooks into the registry listing command). Their code (and the server package) is imported when one of them
 * runs, so the other commands start without it.
 */
export function registerVaultCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const storeOptions = (command: Command) =>
    command
      .option("--data <dir>", "data directory: SQLite file, log and signing keys, trusted-root.json ($PROVENANT_DATA_DIR)", undefined)
      .option("--database <url>", "postgres://… to use PostgreSQL instead of SQLite ($PROVENANT_DATABASE_URL)");

  const server = storeOptions(
    program
      .command("server")
      .description("run the evidence vault: attestation store, tamper-evident log and REST API (default 127.0.0.1:8080, SQLite in ./provenant-data)"),
  )
    .option("--listen <host:port>", "address to listen on ($PROVENANT_LISTEN; default 127.0.0.1:8080)")
    .option("--public-read", "answer reads without a token (writes always need one)")
    .action(async (opts) => {
      const { runServer } = await import("./server.js");
      setExit(await runServer({ data: opts.data, database: opts.database, listen: opts.listen, publicRead: opts.publicRead }, io));
    });

  const token = server.command("token").description("manage the vault's API tokens");
  storeOptions(token.command("create").description("create an API token for a project and print it once (the vault keeps only its hash)"))
    .requiredOption("--project <path>", "project the token acts for, e.g. acme/app (* for every project: read or admin tokens only)")
    .addOption(new Option("--scope <scope>", "what the token may do").choices(["read", "upload", "admin"]).makeOptionMandatory())
    .option("--name <name>", "a label shown in the audit log")
    .option("--json", "print id and token as JSON", false)
    .action(async (_opts, command: Command) => {
      // `--data`/`--database` may land on the parent `server` command: read both.
      const opts = command.optsWithGlobals();
      const { runTokenCreate } = await import("./server.js");
      setExit(await runTokenCreate({ data: opts.data, database: opts.database, project: opts.project, scope: opts.scope, name: opts.name, json: opts.json }, io));
    });

  storeOptions(token.command("list").description("list the API tokens: id, project, scope, name, created (never a secret)"))
    .option("--json", "print the tokens as JSON", false)
    .action(async (_opts, command: Command) => {
      const opts = command.optsWithGlobals();
      const { runTokenList } = await import("./server.js");
      setExit(await runTokenList({ data: opts.data, database: opts.database, json: opts.json }, io));
    });

  storeOptions(token.command("revoke").description("revoke an API token: it stops working at once").argument("<id>", "the token's id (tok_…), as token list shows it"))
    .action(async (id: string, _opts, command: Command) => {
      const opts = command.optsWithGlobals();
      const { runTokenRevoke } = await import("./server.js");
      setExit(await runTokenRevoke({ data: opts.data, database: opts.database, id }, io));
    });

  storeOptions(
    server
      .command("key")
      .description("manage the keys uploads may be signed with")
      .command("add")
      .description("register a public key for a project: uploads for that project signed with it are accepted"),
  )
    .requiredOption("--project <path>", "project the key signs for, e.g. acme/app")
    .requiredOption("-k, --key <pubfile>", "public key, PEM")
    .option("--name <name>", "a label for the key")
    .option("--service", "mark it as the signing service's key (can support SLSA Build L3)", false)
    .action(async (_opts, command: Command) => {
      const opts = command.optsWithGlobals();
      const { runKeyAdd } = await import("./server.js");
      setExit(await runKeyAdd({ data: opts.data, database: opts.database, project: opts.project, key: opts.key, name: opts.name, service: opts.service }, io));
    });

  logTrustOptions(
    program
      .command("log")
      .description("audit the vault's transparency log")
      .command("verify")
      .description("fetch the checkpoint and all tiles, recompute the root, check the signature and consistency with the last checkpoint seen (exit 1 if the log was rewritten)")
      .requiredOption("--server <url>", "the vault's URL")
      .option("--state <file>", "where the last verified checkpoint is kept between runs"),
  )
    .option("--json", "print the result as JSON", false)
    .action(async (opts) => {
      const { runLogVerify } = await import("./log.js");
      setExit(
        await runLogVerify(
          { server: opts.server, state: opts.state, logKey: opts.logKey, trustedRoot: opts.trustedRoot, logOrigin: opts.logOrigin, json: opts.json },
          io,
        ),
      );
    });
}
