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
  /** The test issuer: it signs tokens naming vstoken.dev.azure.com as `iss` (see vstoken.ts). */
  issuer: string;
  jwksUri: string;
  tokenUrl: string;
  requestToken: string;
  /** The fake Azure DevOps names itself https://dev.azure.com/acme/ and listens here (see services-route.cjs). */
  azureOrigin: string;
  /** An issuer a pipeline could run itself: same claims, its own name and keys. */
  foreign: { issuer: string; tokenUrl: string; requestToken: string };
}

const data = workerData as ServersWorkerData;
const issuer = await startTestIssuer({ defaultAudience: data.audience });
issuer.setTokenEndpointClaims(data.claims);
const foreign = await startTestIssuer({ defaultAudience: data.audience });
const { iss: _vstoken, ...foreignClaims } = data.claims;
foreign.setTokenEndpointClaims(foreignClaims);
const azure = await startFakeAzureDevOps(data.build, { accessToken: issuer.requestToken, publicCollectionUri: "https://dev.azure.com/acme/" });
parentPort?.postMessage({
  issuer: issuer.issuer,
  jwksUri: issuer.jwksUri,
  tokenUrl: issuer.tokenUrl,
  requestToken: issuer.requestToken,
  azureOrigin: azure.origin,
  foreign: { issuer: foreign.issuer, tokenUrl: foreign.tokenUrl, requestToken: foreign.requestToken },
} satisfies ServersReady);
/** What the servers saw so far, asked for with the message "requests". */
export interface ServersRequests {
  issuer: typeof issuer.requests;
  foreign: typeof foreign.requests;
  azure: typeof azure.requests;
}

parentPort?.on("message", async (message) => {
  if (message === "requests") {
    parentPort?.postMessage({ issuer: issuer.requests, foreign: foreign.requests, azure: azure.requests } satisfies ServersRequests);
    return;
  }
  await issuer.close();
  await foreign.close();
  await azure.close();
  parentPort?.close();
});
