/** The CI/CD variable the component binds the job's `id_tokens` entry to. */
export const DEFAULT_TOKEN_VARIABLE = "PROVENANT_ID_TOKEN";
