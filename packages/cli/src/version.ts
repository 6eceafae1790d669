declare const PROVENANT_VERSION: string;

/** The package's version, set by the build (tsup `define`); tests run the sources and see 0.0.0-dev. */
export const CLI_VERSION = typeof PROVENANT_VERSION === "string" ? PROVENANT_VERSION : "0.0.0-dev";
