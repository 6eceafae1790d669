#!/usr/bin/env node
// The baseline of the memory section (issue 14 §4): the `attest` job a user
// would script with @sigstore/sign. It walks DIR, hashes every file, builds
// an in-toto statement with a small SLSA v1.0 predicate, signs it as a DSSE
// bundle with the PEM key, and writes the bundle indented, as `provenant
// attest` does. Usage: node bench/memory-peer.mjs DIR KEY.pem OUT.json
import { createHash, createPrivateKey, createPublicKey, sign } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const [dir, keyPath, out] = process.argv.slice(2);
const root = fileURLToPath(new URL("..", import.meta.url));
// @sigstore/sign and @sigstore/bundle are devDependencies of the CLI.
const fromCli = createRequire(join(root, "packages", "cli", "package.json"));
const { DSSEBundleBuilder } = fromCli("@sigstore/sign");
const { bundleToJSON } = fromCli("@sigstore/bundle");

const privateKey = createPrivateKey(readFileSync(keyPath));
const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
const keyId = createHash("sha256").update(createPublicKey(privateKey).export({ type: "spki", format: "der" })).digest("hex");

const subject = [];
for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const path = join(entry.parentPath, entry.name);
  subject.push({ name: relative(dir, path), digest: { sha256: createHash("sha256").update(readFileSync(path)).digest("hex") } });
}
const statement = {
  _type: "https://in-toto.io/Statement/v1",
  subject,
  predicateType: "https://slsa.dev/provenance/v1",
  predicate: {
    buildDefinition: { buildType: "https://provenant.dev/buildtypes/local/v1", externalParameters: { cwd: dir } },
    runDetails: { builder: { id: "https://provenant.dev/builders/local" } },
  },
};
const signer = {
  sign: async (data) => ({ signature: sign("sha256", data, privateKey), key: { $case: "publicKey", publicKey, hint: keyId } }),
};
const bundle = await new DSSEBundleBuilder({ signer, witnesses: [] }).create({
  data: Buffer.from(JSON.stringify(statement)),
  type: "application/vnd.in-toto+json",
});
writeFileSync(out, `${JSON.stringify(bundleToJSON(bundle), null, 2)}\n`);
process.stderr.write(`peer: attested ${subject.length} subjects\n`);
