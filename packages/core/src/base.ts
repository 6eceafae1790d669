// `@provenant/core/base`: what every front end needs before it knows which
// command runs: the error type, text made safe for a terminal or CI log,
// and digest references as typed on a command line. Nothing here imports
// zod, node:crypto or the schemas, so a command that needs no more (the
// CLI's entry, `provenant subjects`) starts without loading them: the whole
// of `@provenant/core` costs some 20 ms at every start. The classes are the
// same as those of `@provenant/core` (one shared chunk), so `instanceof`
// and `isProvenantError` hold across both entries.
export { ProvenantError, isProvenantError, type ErrorCode } from "./error.js";
export { isPrintable, printable, printableMessage, terminalJson } from "./text/escape.js";
export { isDigestValue, parseDigestReference } from "./schemas/digest-values.js";
