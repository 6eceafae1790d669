import { ProvenantError } from "@provenant/core/base";
import type { Command } from "commander";
import type { Io } from "../io.js";
import { registryFlags, registryOptionsOf } from "./registry-flags.js";
import { runVaultAttestationsList, vaultListOptions } from "./vault-commands.js";

/** The `push` and `attestations` commands; their code (oci.ts and the registry client) is imported when one runs. */
export function registerOciCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  registryFlags(
    program
      .command("push")
      .description("push an existing Sigstore bundle beside an image in its registry (an OCI 1.1 referrer; the sha256-<hex> tag index on registries without the referrers API)")
      .argument("<image>", "oci://REGISTRY/REPO[:TAG|@DIGEST] (oci:// optional)")
      .requiredOption("-b, --bundle <file>", "the Sigstore bundle; it must attest the image's digest"),
  )
    .option("--json", "print the result as JSON", false)
    .action(async (image: string, opts) => {
      const { runPush } = await import("./oci.js");
      setExit(await runPush({ image, bundle: opts.bundle, json: opts.json, ...registryOptionsOf(opts) }, io));
    });

  const attestations = program.command("attestations").description("attestations stored in registries or in an evidence vault");
  vaultListOptions(
    registryFlags(
      attestations
        .command("list")
        .description("list the attestations stored for an image: referrers API, the sha256-<hex> tag index, and cosign's .att tag; with --server, what the vault holds for an artifact or digest")
        .argument("[image]", "oci://REGISTRY/REPO[:TAG|@DIGEST] (oci:// optional); with --server, an ARTIFACT file"),
    ),
  )
    .option("--json", "print as JSON", false)
    .action(async (image: string | undefined, opts) => {
      if (opts.server) {
        setExit(await runVaultAttestationsList(image, opts, io));
        return;
      }
      if (!image) throw new ProvenantError("USAGE", "attestations list needs an IMAGE, or --server URL with --digest sha256:HEX or an ARTIFACT");
      const { runAttestationsList } = await import("./oci.js");
      setExit(await runAttestationsList({ image, json: opts.json, ...registryOptionsOf(opts) }, io));
    });
}
