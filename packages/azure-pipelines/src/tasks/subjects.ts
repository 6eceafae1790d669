import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { ProvenantError, type Subject } from "@provenant/core";

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Hashes the files a task matched. Names are paths relative to the working
 * directory with `/` separators, so a Windows and a Linux agent name the same
 * artifact the same way.
 */
export async function subjectsOf(files: readonly string[], workingDirectory: string): Promise<Subject[]> {
  const subjects: Subject[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const absolute = isAbsolute(file) ? file : resolve(workingDirectory, file);
    if (seen.has(absolute)) continue;
    seen.add(absolute);
    const info = await stat(absolute).catch((cause: unknown) => {
      throw new ProvenantError("IO_ERROR", `cannot read subject ${absolute}: ${(cause as Error).message}`, { cause });
    });
    if (!info.isFile()) continue;
    const name = relative(workingDirectory, absolute).split(sep).join("/");
    subjects.push({ name: name.startsWith("../") ? absolute : name, digest: { sha256: await sha256File(absolute) } });
  }
  return subjects;
}
