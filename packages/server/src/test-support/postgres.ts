import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";

/**
 * A throwaway PostgreSQL for tests: `initdb` into a temporary directory,
 * listening on 127.0.0.1 on a free port with its unix socket in that
 * directory, stopped (and deleted) by `stop()`. With
 * PROVENANT_TEST_DATABASE_URL set, that server is used instead and each
 * `createDatabase()` makes a fresh database on it.
 *
 * PostgreSQL refuses to run as root (initdb and postgres exit with "cannot be
 * run as root"), so under root the cluster is created and started as the
 * `postgres` OS user that Debian's package creates, through `runuser`.
 */
export interface TestPostgres {
  /** A new, empty database on the server; returns its connection URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

const MISSING =
  "PostgreSQL is needed for the store tests and could not be started: install the Debian package `postgresql` (./scripts/test does), or set PROVENANT_TEST_DATABASE_URL to a server the tests may create databases on";

let counter = 0;

export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env.PROVENANT_TEST_DATABASE_URL;
  if (external) return onServer(external, async () => undefined);

  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "provenant-pg-"));
  const asRoot = userInfo().uid === 0;
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? "runuser" : join(bin, tool);
    const argv = asRoot ? ["-u", "postgres", "--", join(bin, tool), ...args] : args;
    const result = spawnSync(command, argv, { encoding: "utf8", cwd: dir });
    if (result.status !== 0) {
      throw new Error(`${MISSING}\n${tool} ${args.join(" ")} failed: ${result.error?.message ?? ""}${result.stderr}`);
    }
  };
  if (asRoot) {
    const postgresUser = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    if (postgresUser.status !== 0) throw new Error(`${MISSING} (running as root needs its \`postgres\` OS user)`);
    const uid = Number(postgresUser.stdout.trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, "data");
  const port = await freePort();
  // --no-sync and fsync=off: a test cluster is thrown away, so it need not survive power loss.
  run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  run("pg_ctl", [
    "-D",
    data,
    "-l",
    join(dir, "server.log"),
    "-w",
    "-t",
    "60",
    "-o",
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`,
    "start",
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return onServer(url, async () => {
    try {
      run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function onServer(adminUrl: string, stopServer: () => Promise<void>): TestPostgres {
  const created: string[] = [];
  return {
    async createDatabase() {
      const name = `provenant_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      if (process.env.PROVENANT_TEST_DATABASE_URL) {
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          for (const name of created) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await client.end();
        }
      }
      await stopServer();
    },
  };
}

function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`${MISSING} (no initdb under ${root}/*/bin)`);
  return join(root, versions[0]!, "bin");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
