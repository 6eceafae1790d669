import { open } from "node:fs/promises";
import { ProvenantError } from "@provenant/core/base";

/** Default cap on bytes read from `--bundle` (and inspect's FILE): 64 MiB. */
export const DEFAULT_MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

/**
 * Reads a bundle file as UTF-8 text with two refusals (issue 12 §4):
 * - a file that is neither regular nor a FIFO (a device such as /dev/zero, a
 *   directory, a socket) is refused before any byte is read;
 * - more than `maxBytes` bytes is refused as soon as the cap is passed, so
 *   an endless source costs at most the cap.
 * A FIFO is allowed because `--bundle <(cmd)` is one: reading it waits until
 * the writer closes it, as `cat` would.
 */
export async function readBoundedText(path: string, what: string, maxBytes = DEFAULT_MAX_BUNDLE_BYTES): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    throw new ProvenantError("IO_ERROR", `cannot read ${what} ${path}: ${why}`, { cause: error });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() && !stat.isFIFO()) {
      const kind = stat.isDirectory() ? "a directory" : stat.isCharacterDevice() || stat.isBlockDevice() ? "a device" : "not a regular file";
      throw new ProvenantError("IO_ERROR", `cannot read ${what} ${path}: it is ${kind}; expected a regular file or a pipe`);
    }
    if (stat.isFile() && stat.size > maxBytes) throw tooLarge(what, path, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(what, path, maxBytes);
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total).toString("utf8");
  } catch (error) {
    if (error instanceof ProvenantError) throw error;
    throw new ProvenantError("IO_ERROR", `cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    await handle.close();
  }
}

function tooLarge(what: string, path: string, maxBytes: number): ProvenantError {
  return new ProvenantError(
    "INPUT_TOO_LARGE",
    `${what} ${path} is larger than ${maxBytes} bytes; expected a bundle below the cap (raise it with --max-bundle-bytes)`,
  );
}
