/**
 * Azure DevOps Services, the only place a pipeline OIDC token (vstoken) comes
 * from, names an organization in exactly two forms: `https://dev.azure.com/<org>/`
 * and the older `https://<org>.visualstudio.com/`. Both hosts belong to
 * Microsoft, so sending the job access token there cannot hand it to anyone
 * else, whatever a step wrote into the variables; any other host named by a
 * variable could be the step's own.
 */
export interface ServicesCollection {
  /** `https://dev.azure.com/<org>/` or `https://<org>.visualstudio.com/`, as the variable gave it. */
  collectionUri: string;
  organization: string;
}

// Organization names: letters, digits and hyphens, starting and ending with a
// letter or digit, at most 50 characters (Azure DevOps' naming restrictions).
const ORGANIZATION = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/i;
const LEGACY_HOST = /^([a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?)\.visualstudio\.com$/i;
/** An Azure DevOps id (organization, project, plan, job): a GUID, as pattern source. */
export const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** The organization and the path of its collection on a Services host, or undefined for any other URL. */
function servicesOrigin(url: URL): { organization: string; collectionPath: string } | undefined {
  // No port, no user info: `https://dev.azure.com:8443/` or `https://x@dev.azure.com/` is not how Azure names itself.
  if (url.protocol !== "https:" || url.port !== "" || url.username !== "" || url.password !== "") return undefined;
  const host = url.hostname.toLowerCase();
  if (host === "dev.azure.com") {
    const segment = /^\/([^/]+)\//.exec(url.pathname)?.[1];
    if (!segment || !ORGANIZATION.test(segment)) return undefined;
    return { organization: segment, collectionPath: `/${segment}/` };
  }
  const legacy = LEGACY_HOST.exec(host);
  return legacy ? { organization: legacy[1]!, collectionPath: "/" } : undefined;
}

/** The collection URI (already normalized to end in `/`) as a Services organization, or undefined. */
export function servicesCollectionOf(collectionUri: string): ServicesCollection | undefined {
  const url = new URL(collectionUri);
  const origin = servicesOrigin(url);
  if (!origin || url.pathname !== origin.collectionPath || url.search !== "" || url.hash !== "") return undefined;
  return { collectionUri: url.href, organization: origin.organization };
}

/**
 * Checks `System.OidcRequestUri` before the access token goes there: the
 * documented Oidctoken - Create route (REST 7.1,
 * `https://dev.azure.com/{organization}/{projectId}/_apis/distributedtask/hubs/{hub}/plans/{planId}/jobs/{jobId}/oidctoken`)
 * in the collection's own organization. Returns why it is refused, or undefined.
 */
export function oidcRequestUriProblem(requestUri: string, collection: ServicesCollection): string | undefined {
  let url: URL;
  try {
    url = new URL(requestUri);
  } catch {
    return "is not a URL";
  }
  const origin = servicesOrigin(url);
  if (!origin) return "is not an https URL on dev.azure.com or <organization>.visualstudio.com";
  if (origin.organization.toLowerCase() !== collection.organization.toLowerCase()) {
    return `names organization ${origin.organization}, not ${collection.organization} of SYSTEM_COLLECTIONURI`;
  }
  const route = new RegExp(`^${origin.collectionPath}${GUID}/_apis/distributedtask/hubs/[A-Za-z]+/plans/${GUID}/jobs/${GUID}/oidctoken$`, "i");
  if (!route.test(url.pathname) || url.hash !== "") return "is not the Oidctoken - Create route (…/_apis/distributedtask/hubs/<hub>/plans/<plan>/jobs/<job>/oidctoken)";
  return undefined;
}
