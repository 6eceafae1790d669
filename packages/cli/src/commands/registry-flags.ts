import type { RegistryOptions } from "@provenant/subjects";
import type { Command } from "commander";

// Apart from oci.ts so that registering the commands that take these flags
// does not load the registry client: the command's module is imported when it runs.

const collect = (value: string, previous: string[]) => [...previous, value];

/** Adds `--insecure-registry` and `--image-platform` to a command that talks to registries. */
export function registryFlags(command: Command): Command {
  return command
    .option("--insecure-registry <host>", "allow plain HTTP to this registry host (repeatable; loopback always may)", collect, [])
    .option("--image-platform <os/arch>", "for a multi-arch image, use this platform's manifest instead of the index");
}

/** Reads `--insecure-registry` / `--image-platform` from parsed commander options. */
export function registryOptionsOf(opts: { insecureRegistry?: string[]; imagePlatform?: string }): RegistryOptions {
  return { insecureRegistries: opts.insecureRegistry ?? [], ...(opts.imagePlatform && { imagePlatform: opts.imagePlatform }) };
}
