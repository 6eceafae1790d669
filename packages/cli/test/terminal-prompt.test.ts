import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The password prompts on a real pseudo-terminal: util-linux `script` gives
// the bundled CLI a tty for stdin and stderr, and the test types at each
// prompt, as a person would, then reads the whole screen transcript.
const BUNDLE = join(import.meta.dirname, "../dist/provenant.mjs");
const PASSWORD = "correct horse battery staple";
let dir: string;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "pnpm --filter @provenant/cli build" first`);
  if (!existsSync("/usr/bin/script")) throw new Error("`script` is missing: apt-get install bsdutils (util-linux)");
  dir = await mkdtemp(join(tmpdir(), "provenant-tty-"));
  await writeFile(join(dir, "app.tgz"), "the artifact");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the CLI on a pty; each time the screen ends with a prompt, types the next answer. */
function onTerminal(args: string[], answers: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BUNDLE, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, TERM: "dumb" },
  });
  let screen = "";
  let answered = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString("utf8");
    if (answered < answers.length && /: $/.test(screen)) child.stdin.write(`${answers[answered++]}\r`);
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, screen })));
}

describe("password prompts on a terminal", () => {
  it("keys generate --password asks twice without echo and writes a scrypt-encrypted key", async () => {
    const { code, screen } = await onTerminal(["keys", "generate", "--out", "keys/release", "--password"], [PASSWORD, PASSWORD]);
    expect(screen).toContain("new key password (12 characters or more): ");
    expect(screen).toContain("the same password again: ");
    expect(screen).not.toContain(PASSWORD);
    expect(code).toBe(0);
    expect(await readFile(join(dir, "keys/release.key"), "utf8")).toContain("ENCRYPTED PRIVATE KEY");
  }, 60_000);

  it("attest asks for the password of an encrypted key, without echo", async () => {
    const { code, screen } = await onTerminal(["attest", "app.tgz", "--key", "keys/release.key", "--platform", "local"], [PASSWORD]);
    expect(screen).toContain("password for signing key keys/release.key: ");
    expect(screen).not.toContain(PASSWORD);
    expect(screen).toContain("attested 1 subject");
    expect(code).toBe(0);
  }, 60_000);

  it("refuses a short password at the prompt, writing nothing", async () => {
    const { code, screen } = await onTerminal(["keys", "generate", "--out", "short", "--password"], ["too short"]);
    expect(screen).toContain("[KEY_PASSWORD_TOO_SHORT]");
    expect(code).toBe(2);
    expect(existsSync(join(dir, "short.key"))).toBe(false);
  }, 60_000);
});
