import { resolve } from "node:path";
import { inspect, readSignedDocuments } from "@provenant/core";
import { type Io, readTextFile } from "../io.js";
import { printable } from "../output/escape.js";
import { styler } from "../output/style.js";

export async function runInspect(inputs: { file: string; json: boolean }, io: Io): Promise<number> {
  const documents = readSignedDocuments(await readTextFile(resolve(io.cwd, inputs.file), "file"), inputs.file);
  const inspections = documents.map((d) => inspect(d));
  if (inputs.json) {
    io.stdout(`${JSON.stringify(inspections.length === 1 ? inspections[0] : inspections, null, 2)}\n`);
    return 0;
  }
  const s = styler(io);
  for (const [i, view] of inspections.entries()) {
    if (inspections.length > 1) io.stdout(`envelope ${i + 1} of ${inspections.length}\n`);
    const p = view.provenance;
    const lines: [string, string | undefined][] = [
      ["kind", view.kind === "bundle" ? "Sigstore bundle" : "DSSE envelope"],
      ["signed by key", view.keyIds.join(", ") || "(no key id)"],
      ["predicate type", view.statement.predicateType],
      ["build type", p?.buildDefinition.buildType],
      ["builder id", p?.runDetails.builder.id],
      ["source", view.source?.uri],
      ["source ref", view.source?.ref],
      ["source commit", view.source?.commit],
      ["invocation", p?.runDetails.metadata?.invocationId],
      ["started", p?.runDetails.metadata?.startedOn],
      ["finished", p?.runDetails.metadata?.finishedOn],
    ];
    // Nothing here is verified: every value is shown escaped, on its own line.
    for (const [label, value] of lines) if (value !== undefined) io.stdout(`${label.padEnd(15)} ${printable(value)}\n`);
    if (view.factsSource) io.stdout(`${"facts from".padEnd(15)} ${printable(view.factsSource)}\n`);
    for (const d of view.variableDisagreements ?? []) {
      const text = `${d.variable}=${d.variableValue} contradicted the token's ${d.claim}=${d.claimValue}; the token's value was recorded`;
      io.stdout(s.yellow(`${"overruled".padEnd(15)} ${printable(text)}\n`));
    }
    io.stdout(`subjects (${view.statement.subject.length}):\n`);
    for (const subject of view.statement.subject) {
      const digest = Object.entries(subject.digest).map(([a, h]) => `${a}:${h}`).join(" ");
      io.stdout(`  ${printable(digest)}  ${printable(subject.name ?? "")}\n`);
    }
  }
  io.stdout(s.yellow("signatures NOT verified; use `provenant verify` for that\n"));
  return 0;
}
