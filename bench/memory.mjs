// `pnpm bench` memory section (issue 14 §4): the peak resident set of
// `provenant attest` over 100,000 files (10,000 with --quick), against the
// same job scripted with @sigstore/sign (bench/memory-peer.mjs), measured in
// the same run. Target: under 300 MiB. Peak RSS is read by /usr/bin/time
// (%M, threads included), the median of three runs of each, alternated.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LIMIT_MIB = 300;

/** COUNT files of 64 random bytes in directories of 100, written once and reused. */
function prepareFiles(work, count, log) {
  const dir = join(work, `attest-${count}`);
  const done = join(work, `attest-${count}.done`);
  if (!existsSync(done)) {
    log(`writing ${count} files under ${dir}`);
    for (let d = 0; d < count / 100; d++) {
      const sub = join(dir, `d${String(d).padStart(4, "0")}`);
      mkdirSync(sub, { recursive: true });
      const block = randomBytes(64 * 100);
      for (let f = 0; f < 100; f++) writeFileSync(join(sub, `f${d * 100 + f}.bin`), block.subarray(f * 64, (f + 1) * 64));
    }
    writeFileSync(done, "");
  }
  return dir;
}

function peakRssMiB(work, command, args, cwd, env) {
  const out = join(work, "memory-time.out");
  const result = spawnSync("/usr/bin/time", ["-o", out, "-f", "%M", command, ...args], {
    cwd,
    env,
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${command} ${args.slice(0, 2).join(" ")} exited ${result.status}: ${result.stderr}`);
  return Number(readFileSync(out, "utf8").trim().split("\n").pop()) / 1024;
}

export async function benchMemory({ root, work, row, log, median, quick }) {
  const count = quick ? 10_000 : 100_000;
  const dir = prepareFiles(work, count, log);
  const key = join(work, "memory-key.pem");
  if (!existsSync(key)) {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(key, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  }
  const cli = join(root, "packages", "cli", "dist", "provenant.mjs");
  if (!existsSync(cli)) throw new Error(`the bundled CLI is not built (${cli} is missing): run \`pnpm bench\`, which builds first`);
  const peer = join(root, "bench", "memory-peer.mjs");
  // A clean environment: the local platform, no CI variables of the machine running the bench.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const ours = [];
  const theirs = [];
  log(`attest of ${count} files: peak memory`);
  for (let r = 0; r < 3; r++) {
    ours.push(
      peakRssMiB(work, process.execPath, [cli, "attest", "--key", key, "--platform", "local", "--subject-root", dir, "--bundle", join(work, "memory-ours.json"), "--force", "."], dir, env),
    );
    theirs.push(peakRssMiB(work, process.execPath, [peer, ".", key, join(work, "memory-peer.json")], dir, env));
  }
  const a = median(ours);
  const b = median(theirs);
  row(
    `peak RSS of attest, ${count} files`,
    `${a.toFixed(0)} MiB`,
    `@sigstore/sign script ${b.toFixed(0)} MiB (ratio: times the script's)`,
    a / b,
    `< ${LIMIT_MIB} MiB`,
    a < LIMIT_MIB,
  );
}
