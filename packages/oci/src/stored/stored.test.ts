import { generateKeyPairSync } from "node:crypto";
import { inspect, keyIdOf } from "@provenant/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseImageReference } from "../reference/reference.js";
import { RegistryClient } from "../registry/client.js";
import { signedBundleFor, trustedKey } from "../test-support/bundle.js";
import { makeOciLayout, removeLayouts, skopeoCopy, startRegistry, type TestRegistry } from "../test-support/registry.js";
import { virtualTiming } from "../test-support/virtual-time.js";
import { pushAfterAttest, pushBundle } from "./push.js";
import { verifyStoredAttestations } from "./verify.js";

describe("stored-attestation operations against distribution 2.8", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.close();
    removeLayouts();
  });

  it("verifies each stored attestation and says which one verified, without printing anything", async () => {
    const image = await makeOciLayout("stored-verify");
    await skopeoCopy(image, registry, "acme/stored");
    const client = new RegistryClient();
    const tagged = parseImageReference(`${registry.host}/acme/stored:${image.tag}`);
    const bytes = await signedBundleFor(`${registry.host}/acme/stored`, image.digest, "good");
    const { statement } = inspect(JSON.parse(new TextDecoder().decode(bytes)));
    const timing = virtualTiming();
    const [pushed] = await pushAfterAttest(client, [`oci://${registry.host}/acme/stored@${image.digest}`], bytes, statement!, timing);
    expect(pushed).toMatchObject({ image: `${registry.host}/acme/stored@${image.digest}`, via: "referrers-tag" });
    // The same bundle again through `push`: still one referrer.
    expect(await pushBundle(client, tagged, bytes, statement!, timing)).toMatchObject({ attestation: pushed!.attestation, via: "referrers-tag", alreadyStored: true });

    const untrusted = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    const result = await verifyStoredAttestations(client, tagged, { trustedKeys: [trustedKey] });
    expect(result).toMatchObject({ image: `${registry.host}/acme/stored:${image.tag}@${image.digest}`, digest: image.digest, verified: true, chosen: 0 });
    expect(result.attestations).toHaveLength(1);
    expect(result.attestations[0]!.keyIds).toEqual([trustedKey.keyId]);

    const refused = await verifyStoredAttestations(client, tagged, { trustedKeys: [{ publicKey: untrusted, keyId: keyIdOf(untrusted) }] });
    expect(refused.verified).toBe(false);
    expect(refused.chosen).toBeUndefined();
    expect(refused.attestations[0]!.report?.verified).toBe(false);
  });
});
