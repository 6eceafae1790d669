import type { AddressInfo } from "node:net";
import { serve as nodeServe } from "@hono/node-server";
import type { ServerApp } from "./http/context.js";

export interface RunningServer {
  /** `http://HOST:PORT` as bound (the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/** Binds the app to HOST:PORT; resolves once listening. Port 0 picks a free port. */
export function serve(app: ServerApp, listen: { host: string; port: number }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = nodeServe({ fetch: app.fetch, hostname: listen.host, port: listen.port }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // Idle keep-alive connections would hold close() open.
            (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    server.once("error", reject);
  });
}
