import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The built bin as an operator runs it: `provenant server` until the service
// manager sends SIGTERM. It must close the vault (the SQLite store and its
// checkpoint worker included) and exit 0 with nothing on stderr.
const BIN = fileURLToPath(new URL("../dist/bin/provenant.mjs", import.meta.url));
let dir: string;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error('packages/cli/dist/bin/provenant.mjs is missing: run "pnpm --filter @provenant/cli build" first');
  dir = await mkdtemp(join(tmpdir(), "provenant-shutdown-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("provenant server on SIGTERM", () => {
  it("closes the vault and exits 0 without a word on stderr", async () => {
    // Output to files, as a service manager or `> vault.log` has it: pipes would keep the
    // process alive on their own and hide a shutdown that leaves nothing else running.
    const out = join(dir, "out.log");
    const err = join(dir, "err.log");
    const [outFd, errFd] = [openSync(out, "w"), openSync(err, "w")];
    const child = spawn(process.execPath, [BIN, "server", "--data", join(dir, "data"), "--listen", "127.0.0.1:0"], { stdio: ["ignore", outFd, errFd] });
    closeSync(outFd);
    closeSync(errFd);
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    let url: string | undefined;
    while (!url && child.exitCode === null) {
      url = /^provenant vault listening on (\S+)$/m.exec(await readFile(out, "utf8"))?.[1];
      if (!url) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(url, await readFile(err, "utf8")).toBeDefined();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await readFile(err, "utf8")).toBe("");
  });
});
