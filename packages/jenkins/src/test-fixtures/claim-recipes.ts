import { REF_CLAIMS_MARKER } from "../facts/from-claims.js";
import type { ClaimTemplate } from "./oidc-provider-plugin.js";

// The build claim templates docs/buildtypes/jenkins-v1.md ("Claim templates") documents.

/** The plugin's default build claim templates (IdTokenConfiguration). */
export const DEFAULTS: ClaimTemplate[] = [
  { name: "sub", format: `\${JOB_URL}` },
  { name: "build_number", format: `\${BUILD_NUMBER}`, type: "integer" },
];
export const CHECKOUT: ClaimTemplate[] = [
  { name: "git_url", format: `\${GIT_URL}` },
  { name: "git_commit", format: `\${GIT_COMMIT}` },
];
export const REF_NAMES = ["tag_name", "change_id", "branch_name", "git_branch"] as const;
export const refTemplates = (optional: boolean): ClaimTemplate[] =>
  [...REF_NAMES, "change_url", "change_target", "change_branch"].map((name) => ({ name, format: `\${${name.toUpperCase()}}`, optional }));

/** oidc-provider 170.x and later, with the Optional checkbox: the recipe this package documents. */
export const CURRENT_RECIPE = [...DEFAULTS, ...CHECKOUT, ...refTemplates(true), { name: REF_CLAIMS_MARKER, format: REF_NAMES.join(" ") }];
