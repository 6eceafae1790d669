/**
 * How the Jenkins OpenID Connect Provider plugin (jenkinsci/oidc-provider-plugin)
 * turns claim templates into a build's ID token claims, written for tests
 * from its source:
 *
 * - `IdTokenCredentials#token()`: global `claimTemplates` first, then
 *   `buildClaimTemplates` for a build; each value is
 *   `type.parse(Util.replaceMacro(format, build.getEnvironment(…)))`; a
 *   template may not name a standard claim (`iss`, `aud`, `exp`, …) and one
 *   must name `sub`, else token creation fails with a SecurityException.
 * - Jenkins core `hudson.Util#replaceMacro`: `$NAME` and `${NAME}` are
 *   replaced by the variable's value, `$$` by `$`; a variable the build lacks
 *   is left as written (`${TAG_NAME}`).
 * - Since 170.v15f73e25a_e28 (jenkinsci/oidc-provider-plugin#86, "Do not
 *   issue id token with unsubstituted variables"): a value that still holds
 *   `${` after substitution fails token creation.
 * - Later, the *Optional* checkbox (jenkinsci/oidc-provider-plugin#199;
 *   `ClaimTemplate/help-optional.html`): such a template's claim is left out
 *   instead of failing; `sub` stays required even when marked Optional.
 * - `StringClaimType` keeps the text, `BooleanClaimType` and
 *   `IntegerClaimType` parse it.
 */

export interface ClaimTemplate {
  name: string;
  format: string;
  type?: "string" | "boolean" | "integer";
  /** The Optional checkbox; ignored by releases without it. */
  optional?: boolean;
}

/** Which release's rules to apply. */
export type PluginRules = "before-170" | "170" | "optional";

const STANDARD_CLAIMS = new Set(["iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "nbf", "jti"]);

/** The reason token creation failed, as the build log would show it. */
export class TokenCreationFailed extends Error {}

/** hudson.Util#replaceMacro over a build's variables. */
export function replaceMacro(format: string, variables: Readonly<Record<string, string | undefined>>): string {
  return format.replace(/\$([A-Za-z0-9_]+|\{[A-Za-z0-9_.]+\}|\$)/g, (match, key: string) => {
    if (key === "$") return "$";
    const name = key.startsWith("{") ? key.slice(1, -1) : key;
    const value = variables[name];
    return value === undefined ? match : value;
  });
}

function parse(value: string, type: ClaimTemplate["type"]): unknown {
  if (type === "boolean") return value === "true";
  if (type === "integer") {
    const number = Number.parseInt(value, 10);
    if (Number.isNaN(number)) throw new TokenCreationFailed(`not an integer: ${value}`);
    return number;
  }
  return value;
}

/** The claims the plugin would put in a build's ID token (besides iss, aud, exp, iat). */
export function expandClaimTemplates(
  templates: { global?: ClaimTemplate[]; build: ClaimTemplate[] },
  variables: Readonly<Record<string, string | undefined>>,
  rules: PluginRules,
): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  let definedSub = false;
  for (const template of [...(templates.global ?? []), ...templates.build]) {
    if (STANDARD_CLAIMS.has(template.name)) throw new TokenCreationFailed(`An id token claim template must not specify ${template.name}`);
    const value = replaceMacro(template.format, variables);
    if (rules !== "before-170" && value.includes("${")) {
      if (rules === "optional" && template.optional && template.name !== "sub") continue;
      throw new TokenCreationFailed(`claim ${template.name} references a variable this build does not have: ${template.format}`);
    }
    if (template.name === "sub") definedSub = true;
    claims[template.name] = parse(value, template.type);
  }
  if (!definedSub) throw new TokenCreationFailed("An id token claim template must specify sub");
  return claims;
}
