import type { HashProgress, SubjectInputs } from "@provenant/subjects";
import type { Io } from "../io.js";

/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms. Only
 * started when stderr is a terminal and the output is not --json, so logs
 * and pipes stay clean.
 */
export function progressBar(write: (text: string) => void, totalBytes: number, totalFiles: number) {
  let last = 0;
  let drawn = false;
  const width = 30;
  return {
    update(progress: HashProgress) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const fraction = totalBytes > 0 ? Math.min(1, progress.bytes / totalBytes) : progress.files / Math.max(1, totalFiles);
      const filled = Math.round(fraction * width);
      const mib = (progress.bytes / 1048576).toFixed(0);
      write(
        `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${progress.files}/${totalFiles} files  ${mib} MiB`,
      );
      drawn = true;
    },
    done() {
      if (drawn) write("\r\u001b[2K");
    },
  };
}

/**
 * The progress callback `resolveSubjects` takes: a bar on stderr for long
 * runs only (a bar that flashes for a few files is noise), when stderr is a
 * terminal and the output is not --json.
 */
export function subjectProgress(io: Io, allowed: boolean): SubjectInputs["progress"] {
  if (!allowed || !io.isTTY) return undefined;
  return ({ bytes, files }) => (bytes > 64 * 1048576 || files > 1000 ? progressBar(io.stderr, bytes, files) : undefined);
}
