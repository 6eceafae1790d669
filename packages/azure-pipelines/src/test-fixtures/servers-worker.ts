// Runs the test OIDC issuer and the fake Azure DevOps in a worker thread:
// the mock test runner waits for the task with spawnSync, which blocks the
// test's own event loop, so servers there could not answer the task.
import { parentPort, workerData } from "node:worker_threads";
import { startTestIssuer } from "@provenant/oidc/testing";
import { type FakeBuild, startFakeAzureDevOps } from "./azure-devops-server.ts";

export interface ServersWorkerData {
  audience: string;
  claims: Record<string, unknown>;
  build: FakeBuild;
}

export interface ServersReady {
  issuer: string;
  tokenUrl: string;
  requestToken: string;
  collectionUri: string;
}

const data = workerData as ServersWorkerData;
const issuer = await startTestIssuer({ defaultAudience: data.audience });
issuer.setTokenEndpointClaims(data.claims);
const azure = await startFakeAzureDevOps(data.build, { accessToken: issuer.requestToken });
parentPort?.postMessage({
  issuer: issuer.issuer,
  tokenUrl: issuer.tokenUrl,
  requestToken: issuer.requestToken,
  collectionUri: azure.collectionUri,
} satisfies ServersReady);
parentPort?.once("message", async () => {
  await issuer.close();
  await azure.close();
  parentPort?.close();
});
