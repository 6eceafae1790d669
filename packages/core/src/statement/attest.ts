import { toBundle } from "../bundle/bundle.js";
import { signEnvelope } from "../dsse/envelope.js";
import type { Signer } from "../dsse/signer.js";
import type { Bundle } from "../schemas/bundle.js";
import type { Envelope } from "../schemas/dsse.js";
import type { BuildDefinition, RunDetails } from "../schemas/provenance.js";
import type { Subject } from "../schemas/statement.js";
import { buildStatement, type ProvenanceStatement } from "./build.js";

export interface Attestation {
  statement: ProvenanceStatement;
  envelope: Envelope;
  bundle: Bundle;
}

/** Builds the statement, signs it as a DSSE envelope and wraps it in a bundle. */
export async function attest(
  subjects: readonly Subject[],
  provenance: { buildDefinition: BuildDefinition; runDetails: RunDetails },
  signer: Signer,
): Promise<Attestation> {
  const statement = buildStatement(subjects, provenance);
  const payload = Buffer.from(JSON.stringify(statement), "utf8");
  const envelope = await signEnvelope(payload, [signer]);
  return { statement, envelope, bundle: toBundle(envelope) };
}
