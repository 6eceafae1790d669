import { describe, expect, it } from "vitest";
import { oidcRequestUriProblem, servicesCollectionOf } from "./services-url.js";

// System.OidcRequestUri as the agent sets it (Oidctoken - Create, REST 7.1): project, plan and job GUIDs.
const ROUTE = "7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa/_apis/distributedtask/hubs/build/plans/a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d/jobs/12f1170f-54f2-53f3-20dd-22fc7dff55f9/oidctoken";

describe("servicesCollectionOf", () => {
  it("reads the organization of both Azure DevOps Services forms", () => {
    expect(servicesCollectionOf("https://dev.azure.com/acme/")).toEqual({ collectionUri: "https://dev.azure.com/acme/", organization: "acme" });
    expect(servicesCollectionOf("https://acme-eu.visualstudio.com/")).toEqual({ collectionUri: "https://acme-eu.visualstudio.com/", organization: "acme-eu" });
  });

  it("takes no other host, scheme, port or path for one", () => {
    for (const uri of [
      "https://evil.example/acme/",
      "http://dev.azure.com/acme/",
      "https://dev.azure.com:8443/acme/",
      "https://dev.azure.com.evil.example/acme/",
      "https://dev.azure.com/acme/extra/",
      "https://dev.azure.com/%2e%2e/",
      "https://acme.visualstudio.com.evil.example/",
      "https://a.b.visualstudio.com/",
      "https://acme.visualstudio.com/DefaultCollection/",
      "https://tfs.acme.example/tfs/DefaultCollection/",
    ]) {
      expect(servicesCollectionOf(uri), uri).toBeUndefined();
    }
  });
});

describe("oidcRequestUriProblem", () => {
  const acme = { collectionUri: "https://dev.azure.com/acme/", organization: "acme" };

  it("accepts the Oidctoken route of the collection's organization, in either form", () => {
    expect(oidcRequestUriProblem(`https://dev.azure.com/acme/${ROUTE}`, acme)).toBeUndefined();
    expect(oidcRequestUriProblem(`https://dev.azure.com/ACME/${ROUTE}`, acme)).toBeUndefined();
    expect(oidcRequestUriProblem(`https://acme.visualstudio.com/${ROUTE}`, acme)).toBeUndefined();
  });

  it("names what is wrong with any other URI", () => {
    expect(oidcRequestUriProblem(`http://dev.azure.com/acme/${ROUTE}`, acme)).toMatch(/not an https URL on dev\.azure\.com/);
    expect(oidcRequestUriProblem(`https://evil.example/acme/${ROUTE}`, acme)).toMatch(/not an https URL on dev\.azure\.com/);
    expect(oidcRequestUriProblem(`https://dev.azure.com/contoso/${ROUTE}`, acme)).toMatch(/names organization contoso, not acme/);
    expect(oidcRequestUriProblem(`https://contoso.visualstudio.com/${ROUTE}`, acme)).toMatch(/names organization contoso/);
    expect(oidcRequestUriProblem("https://dev.azure.com/acme/_apis/connectionData", acme)).toMatch(/not the Oidctoken - Create route/);
    expect(oidcRequestUriProblem("not a url", acme)).toBe("is not a URL");
  });
});
