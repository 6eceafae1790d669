import { parseSignedDocument } from "../bundle/bundle.js";
import { parsePayloadJson } from "../bundle/read.js";
import { FACTS_SOURCE_FIELD, type VariableDisagreement, variableDisagreementsOf } from "../buildtypes.js";
import { decodeBase64 } from "../dsse/base64.js";
import { parseProvenance } from "../provenance/validate.js";
import { type Provenance, SLSA_PROVENANCE_V1 } from "../schemas/provenance.js";
import type { Statement } from "../schemas/statement.js";
import { type Source, sourceOf } from "../source/source.js";
import { parseStatement } from "./build.js";

export interface Inspection {
  kind: "bundle" | "envelope";
  keyIds: string[];
  statement: Statement;
  provenance?: Provenance;
  source?: Source;
  /** Where the adapter took its identity facts from (`oidc-token`, `environment`, `local`). */
  factsSource?: string;
  /** CI variables that contradicted the verified token; the token's values were recorded. */
  variableDisagreements?: VariableDisagreement[];
}

/** Reads what a bundle or envelope claims, WITHOUT verifying any signature. */
export function inspect(document: unknown): Inspection {
  const parsed = parseSignedDocument(document);
  const payload = decodeBase64(parsed.envelope.payload, "DSSE envelope payload");
  const json = parsePayloadJson(payload);
  const statement = parseStatement(json);
  const keyIds = parsed.envelope.signatures.map((s) => s.keyid ?? "").filter((k) => k !== "");
  if (statement.predicateType !== SLSA_PROVENANCE_V1) return { kind: parsed.kind, keyIds, statement };
  const provenance = parseProvenance(statement.predicate);
  const source = sourceOf(provenance);
  const metadata = provenance.runDetails.metadata;
  const factsSource = metadata?.[FACTS_SOURCE_FIELD];
  const variableDisagreements = variableDisagreementsOf(metadata);
  return {
    kind: parsed.kind,
    keyIds,
    statement,
    provenance,
    ...(source ? { source } : {}),
    ...(typeof factsSource === "string" ? { factsSource } : {}),
    ...(variableDisagreements.length > 0 ? { variableDisagreements } : {}),
  };
}
