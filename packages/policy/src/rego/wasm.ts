import { createGunzip } from "node:zlib";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { ProvenantError } from "@provenant/core";
import { extract } from "tar-stream";
import { decisionOf, type RegoEvaluator } from "./evaluator.js";

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);
/** OPA wasm bundles are small; a cap keeps a hostile tarball from filling memory. */
const MAX_WASM_BYTES = 64 * 1024 * 1024;

/** `/policy.wasm` from a bundle written by `opa build -t wasm` (a gzipped tar), or the bytes as given when they are wasm already. */
export async function wasmFromBundle(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  const buffer = Buffer.from(bytes);
  if (buffer.subarray(0, 4).equals(WASM_MAGIC)) return buffer;
  const tar = extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    tar.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (data: unknown) => {
        const chunk = data as Buffer;
        size += chunk.length;
        if (size > MAX_WASM_BYTES) {
          stream.destroy(new ProvenantError("INVALID_POLICY", `${source}: an entry is larger than ${MAX_WASM_BYTES} bytes`));
          return;
        }
        if (header.name.replace(/^\/+/, "") === "policy.wasm") chunks.push(chunk);
      });
      stream.on("end", () => {
        if (chunks.length > 0) found = Buffer.concat(chunks);
        next();
      });
      stream.on("error", reject);
    });
    tar.on("finish", resolve);
    tar.on("error", reject);
  });
  const gunzip = createGunzip();
  gunzip.on("error", (cause) =>
    tar.destroy(new ProvenantError("INVALID_POLICY", `${source}: not a wasm module or an opa wasm bundle (.tar.gz)`, { cause })),
  );
  gunzip.pipe(tar);
  gunzip.end(buffer);
  await done;
  if (!found) throw new ProvenantError("INVALID_POLICY", `${source}: the bundle holds no /policy.wasm; build it with \`opa build -t wasm -e ENTRYPOINT\``);
  return found;
}

/** In-process evaluation of a compiled Rego policy (no opa binary needed at verify time). */
export async function wasmEvaluator(bytes: Uint8Array, entrypoint: string, source: string): Promise<RegoEvaluator> {
  const wasm = await wasmFromBundle(bytes, source);
  let policy: Awaited<ReturnType<typeof loadPolicy>>;
  try {
    policy = await loadPolicy(wasm);
  } catch (cause) {
    throw new ProvenantError("INVALID_POLICY", `${source}: not a loadable OPA wasm policy`, { cause });
  }
  if (!(entrypoint in policy.entrypoints)) {
    throw new ProvenantError(
      "INVALID_POLICY",
      `${source}: no entrypoint ${entrypoint}; it has ${Object.keys(policy.entrypoints).join(", ") || "none"} (build with -e ${entrypoint})`,
    );
  }
  return {
    description: `${source} (wasm, ${entrypoint})`,
    async evaluate(input) {
      const results = policy.evaluate(input, entrypoint) as { result?: unknown }[];
      return decisionOf(entrypoint, results[0]?.result);
    },
  };
}
