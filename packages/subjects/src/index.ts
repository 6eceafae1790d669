export { resolveSubjects, type ProgressReporter, type SubjectInputs } from "./resolve.js";
export { collectFiles, type CollectResult, type FoundFile } from "./collect.js";
export { HashPool, hashFiles, sha256File, type HashJob, type HashProgress } from "./hash.js";
export { prestartHashWorkers } from "./hash-worker.js";
export { parseChecksums, parseDigestOption } from "./checksums.js";
// Image subjects themselves (the OCI client with them) are the "./images" entry.
export { isImageArgument, type RegistryOptions } from "./image-arguments.js";
export { readTextFile, replaceFileAtomically, replaceFilesAtomically } from "./files.js";
export type { SubjectsIo } from "./io.js";
export { subjectNameOf, subjectRootOf } from "./names.js";
