import {
  BUILD_TYPES,
  FACTS_SOURCE_FIELD,
  attest,
  generateKeyPair,
  keyIdOf,
  keySigner,
  privateKeyFromPem,
  publicKeyFromPem,
  type TrustedKey,
} from "@provenant/core";

const keys = generateKeyPair("ecdsa-p256");
export const trustedKey: TrustedKey = (() => {
  const publicKey = publicKeyFromPem(keys.publicKeyPem);
  return { publicKey, keyId: keyIdOf(publicKey) };
})();

/** A real signed bundle for an image digest, shaped like the local adapter's provenance. */
export async function signedBundleFor(imageName: string, digest: string, note = "test"): Promise<Uint8Array> {
  const { bundle } = await attest(
    [{ name: imageName, digest: { sha256: digest.replace(/^sha256:/, "") } }],
    {
      buildDefinition: { buildType: BUILD_TYPES.local, externalParameters: { note }, resolvedDependencies: [] },
      runDetails: { builder: { id: "local://oci-test" }, metadata: { [FACTS_SOURCE_FIELD]: "local" } },
    },
    keySigner(privateKeyFromPem(keys.privateKeyPem)),
  );
  return new TextEncoder().encode(JSON.stringify(bundle));
}
