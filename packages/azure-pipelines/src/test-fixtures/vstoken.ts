/**
 * vstoken.dev.azure.com is Azure DevOps' own issuer and the only one the
 * adapter trusts, so tests sign tokens with its name (`iss`) on the local
 * test issuer and answer just its discovery document here, pointing at the
 * local issuer's real JWKS, which is answered at vstoken's own origin (where
 * Azure serves it, and where the verifier requires an issuer's keys to be). The document has the fields
 * OpenID Connect Discovery §3 requires and Azure's carries.
 */
export function vstokenDiscovery(issuer: string, jwksUri: string, next: typeof globalThis.fetch = globalThis.fetch): typeof globalThis.fetch {
  const discoveryUrl = `${issuer}/.well-known/openid-configuration`;
  const servedJwksUri = `${new URL(issuer).origin}/.well-known/jwks`;
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === servedJwksUri) return globalThis.fetch(jwksUri);
    if (url !== discoveryUrl) return next(input, init);
    const document = {
      issuer,
      jwks_uri: servedJwksUri,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    };
    return new Response(JSON.stringify(document), { headers: { "content-type": "application/json" } });
  };
}
