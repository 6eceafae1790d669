import { randomBytes } from "node:crypto";
import { chmod, type FileHandle, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ProvenantError } from "@provenant/core/base";

/**
 * What a file is written from: text, bytes, or pieces of either written one
 * after the other (a large bundle is written around its payload rather than
 * copied into one string first).
 */
export type FileData = string | Uint8Array | readonly (string | Uint8Array)[];

/** Text is encoded a slice at a time, so that a 20 MB piece never becomes a 20 MB buffer at once. */
const SLICE = 1 << 20;

async function writeChunks(handle: FileHandle, chunks: readonly (string | Uint8Array)[]): Promise<void> {
  for (const chunk of chunks) {
    if (typeof chunk !== "string") await handle.write(chunk);
    else {
      for (let i = 0; i < chunk.length; ) {
        let end = Math.min(i + SLICE, chunk.length);
        // Never between the halves of a surrogate pair: each would be written as U+FFFD.
        const last = chunk.charCodeAt(end - 1);
        if (end < chunk.length && last >= 0xd800 && last <= 0xdbff) end--;
        await handle.write(chunk.slice(i, end));
        i = end;
      }
    }
  }
}

/**
 * Writes `data` to a temp file beside `path`, syncs it and renames it over
 * `path`, so a crash or a full disk never leaves a half-written bundle or key:
 * readers see the old file or the new one, never a mix.
 */
export async function replaceFileAtomically(path: string, data: FileData, mode = 0o644): Promise<void> {
  await replaceFilesAtomically([{ path, data, mode }]);
}

/**
 * Writes every file to its temp file first and renames them into place only
 * when all were written, so a key pair is never left half new: a full disk
 * while writing the public key leaves both old files as they were.
 */
export async function replaceFilesAtomically(files: readonly { path: string; data: FileData; mode: number }[]): Promise<void> {
  const temps = files.map((file) => join(dirname(file.path), `.${basename(file.path)}.${randomBytes(6).toString("hex")}.tmp`));
  let current = files[0]?.path ?? "";
  try {
    for (const [i, file] of files.entries()) {
      current = file.path;
      const handle = await open(temps[i]!, "wx", file.mode);
      try {
        if (Array.isArray(file.data)) await writeChunks(handle, file.data);
        else await handle.writeFile(file.data as string | Uint8Array);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(temps[i]!, file.mode);
    }
    for (const [i, file] of files.entries()) {
      current = file.path;
      await rename(temps[i]!, file.path);
    }
  } catch (error) {
    await Promise.all(temps.map((temp) => rm(temp, { force: true })));
    throw new ProvenantError("IO_ERROR", `could not write ${current}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Reads a UTF-8 file; a missing or unreadable one is bad input (`IO_ERROR`) naming `what` it was meant to be. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new ProvenantError("IO_ERROR", `cannot read ${what} ${path}: ${why}`, { cause: error });
  }
}
