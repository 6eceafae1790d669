// Temporary bridge: `runVerifyImage`, `pushAfterAttest` and `PushResult` are
// moving from the CLI's oci command into @provenant/oci (branch
// oci-hardening). Until that lands the actions take them from the CLI's
// source by path, so that no package.json here names @provenant/cli and the
// workspace has no dependency cycle. Replace this file's users with imports
// from @provenant/oci once it exports them.
export { pushAfterAttest, runVerifyImage, type PushResult } from "../../../cli/src/commands/oci.js";
