import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, scratch } from "../test-support.js";

// A hostile or broken vault on 127.0.0.1: what it answers must never reach
// the terminal unescaped, and its refusals keep their codes.
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

async function fakeVault(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("the vault client", () => {
  it("prints a refusal with the server's code and its detail escaped", async () => {
    const seen: (string | undefined)[] = [];
    const url = await fakeVault((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(403, { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ type: "about:blank", title: "Forbidden", status: 403, code: "FORBIDDEN", detail: "no\n\u001b[32mPASS VERIFIED" }));
    });
    const { dir, cleanup } = await scratch();
    try {
      const result = await runCli(["attestations", "list", "--server", url, "--digest", DIGEST], { cwd: dir, env: { PROVENANT_TOKEN: "pvt_secret" } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("[FORBIDDEN]");
      expect(result.stderr).not.toContain("\u001b");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(seen).toEqual(["Bearer pvt_secret"]);
    } finally {
      await cleanup();
    }
  });

  it("escapes every listed field and refuses a server URL carrying credentials", async () => {
    const url = await fakeVault((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          items: [{ logIndex: 3, bundle: {}, subjects: [], predicateType: "evil\r\nPASS", project: "acme/app\u0007", slsaLevel: 2, integratedTime: "2026-12-01T10:00:00Z" }],
        }),
      );
    });
    const { dir, cleanup } = await scratch();
    try {
      const listed = await runCli(["attestations", "list", "--server", url, "--digest", DIGEST], { cwd: dir });
      expect(listed.code).toBe(0);
      expect(listed.stdout.split("\n").filter(Boolean)).toEqual([`3\t${DIGEST}\tevil\\u000d\\u000aPASS\tL2\tacme/app\\u0007\t2026-12-01T10:00:00Z`]);
      const withPassword = await runCli(["attestations", "list", "--server", url.replace("http://", "http://u:p@"), "--digest", DIGEST], { cwd: dir });
      expect(withPassword.code).toBe(2);
      expect(withPassword.stderr).toContain("[USAGE]");
      expect(withPassword.stderr).not.toContain("u:p");
    } finally {
      await cleanup();
    }
  });
});
