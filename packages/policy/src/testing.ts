/** Test helpers for packages that test policies against the real OPA (not part of the public API). */
export { opaBinary } from "./test-support/opa.js";
