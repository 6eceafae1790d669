import type { Io } from "../io.js";
import { resolveSubjects, type SubjectInputs } from "@provenant/subjects";
import { subjectProgress } from "../output/progress.js";
import { isPrintable, ProvenantError, printable, terminalJson } from "@provenant/core/base";

export async function listSubjects(inputs: SubjectInputs & { json: boolean }, io: Io): Promise<number> {
  if (inputs.patterns.length + inputs.checksumFiles.length + inputs.digests.length === 0) {
    throw new ProvenantError("USAGE", "no subjects; give PATH|GLOB..., --checksums FILE or --digest NAME=sha256:HEX");
  }
  const subjects = await resolveSubjects({ ...inputs, progress: subjectProgress(io, !inputs.json) }, io);
  if (inputs.json) {
    io.stdout(`${terminalJson(subjects)}\n`);
  } else {
    // One write: 20,000 separate writes to a pipe cost more than hashing the files.
    // Names come from the file system or a checksums file: escaped, one line each.
    // Scanned once as a whole first: when nothing in them needs escaping (the usual
    // case), 40,000 escaping calls for a large release are skipped.
    const fields = subjects.flatMap((s) => [s.digest.sha256 ?? Object.values(s.digest)[0] ?? "", s.name ?? ""]);
    const shown = isPrintable(fields.join("")) ? (text: string) => text : printable;
    io.stdout(subjects.map((_, i) => `sha256:${shown(fields[2 * i]!)}  ${shown(fields[2 * i + 1]!)}\n`).join(""));
  }
  return 0;
}
