// End to end on this machine: a private registry (Debian's docker-registry) on
// 127.0.0.1, an image copied in with skopeo, then the provenant CLI attests it,
// pushes the attestation beside it, lists it and verifies it from the registry.
// Run from the repository root after `pnpm build`: node examples/oci/demo.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeOciLayout, removeLayouts, skopeoCopy, startRegistry } from "../../packages/oci/dist/testing.js";

const cli = resolve("packages/cli/dist/provenant.mjs");
const work = mkdtempSync(join(tmpdir(), "provenant-oci-demo-"));
const run = (...args) => {
  console.log(`$ provenant ${args.join(" ")}`);
  try {
    process.stdout.write(execFileSync(process.execPath, [cli, ...args], { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));
  } catch (error) {
    process.stdout.write(error.stdout ?? "");
    console.log(`(exit ${error.status})`);
  }
};

const registry = await startRegistry();
try {
  const image = await makeOciLayout("demo", { tag: "1.0.0" });
  await skopeoCopy(image, registry, "acme/app");
  const ref = `oci://${registry.host}/acme/app:1.0.0`;
  run("keys", "generate", "--out", "signing");
  run("subjects", ref);
  run("attest", ref, "--key", "signing.key", "--platform", "local", "--push");
  run("attestations", "list", ref);
  run("verify", "--image", ref, "--key", "signing.pub", "--build-type", "https://provenant.dev/buildtypes/local/v1");
} finally {
  await registry.close();
  removeLayouts();
  rmSync(work, { recursive: true, force: true });
}
