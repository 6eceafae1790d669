export { main } from "./main.js";
export { processIo, type Io } from "./io.js";
export { localFacts, type LocalFacts } from "./platforms/local/facts.js";
export { localProvenance } from "./platforms/local/provenance.js";
export { ADAPTERS, CLI_VERSION } from "./platforms/registry.js";
export { pushAfterAttest, runVerifyImage, type PushResult, type VerifyImageInputs } from "./commands/oci.js";
