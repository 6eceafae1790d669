import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface ServerMetrics {
  registry: Registry;
  uploads: Counter<"result">;
  queryDuration: Histogram<"route">;
}

/** Tree size from a C2SP checkpoint: origin line, then the decimal size. */
export function checkpointSize(note: string): number {
  const size = Number(note.split("\n")[1]);
  return Number.isSafeInteger(size) ? size : 0;
}

/**
 * One registry per app (not prom-client's global one), so two apps in one
 * process (tests, replicas in a bench) keep separate counts.
 */
export function createMetrics(logSize: () => Promise<number>): ServerMetrics {
  const registry = new Registry();
  const uploads = new Counter({
    name: "provenant_uploads_total",
    help: "Attestation uploads by result: created, duplicate, or the refusal's error code.",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const queryDuration = new Histogram({
    name: "provenant_query_duration_seconds",
    help: "Time to answer read requests, by route.",
    labelNames: ["route"] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  new Gauge({
    name: "provenant_log_size",
    help: "Entries in the transparency log (size of the latest checkpoint).",
    registers: [registry],
    async collect() {
      this.set(await logSize());
    },
  });
  return { registry, uploads, queryDuration };
}
