import type { Subject } from "@provenant/core";
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
    // Written in pieces of 4,096 lines: 20,000 separate writes to a pipe cost
    // more than hashing the files, and one string of all of them was live
    // through a garbage collection at the end of every large run.
    // Names come from the file system or a checksums file: escaped, one line
    // each. Each field is tested while a piece is built: when nothing needs
    // escaping (the usual case), that text is written as it is.
    for (let start = 0; start < subjects.length; start += LINES_PER_WRITE) {
      const piece = subjects.slice(start, start + LINES_PER_WRITE);
      let text = "";
      let safe = true;
      for (const s of piece) {
        const digest = digestOf(s);
        const name = s.name ?? "";
        text += line(digest, name);
        safe &&= isPrintable(digest) && isPrintable(name);
      }
      io.stdout(safe ? text : piece.map((s) => line(printable(digestOf(s)), printable(s.name ?? ""))).join(""));
    }
  }
  return 0;
}

const LINES_PER_WRITE = 4096;

/** One subject: its digest, two spaces and its name, as in `sha256sum` output (with the algorithm named). */
function line(digest: string, name: string): string {
  return `sha256:${digest}  ${name}\n`;
}

function digestOf(subject: Subject): string {
  return subject.digest.sha256 ?? Object.values(subject.digest)[0] ?? "";
}
