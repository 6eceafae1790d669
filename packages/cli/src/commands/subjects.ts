import type { Io } from "../io.js";
import { resolveSubjects, type SubjectInputs } from "@provenant/subjects";
import { subjectProgress } from "../output/progress.js";
import { ProvenantError, printable, terminalJson } from "@provenant/core";

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
    io.stdout(subjects.map((s) => `sha256:${printable(s.digest.sha256 ?? Object.values(s.digest)[0] ?? "")}  ${printable(s.name ?? "")}\n`).join(""));
  }
  return 0;
}
