import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The real opa binary the tests compile and serve Rego with. scripts/test
 * builds it with `go install` into the tools directory; a missing one fails
 * the test with the command that installs it, never a silent skip.
 */
export function opaBinary(): string {
  const tools = process.env.PROVENANT_TOOLS_DIR ?? join(homedir(), ".cache", "provenant-tools");
  const path = join(tools, "go-bin", "opa");
  if (!existsSync(path)) {
    throw new Error(
      `the opa binary is missing at ${path}: run ./scripts/test, or GOBIN=${join(tools, "go-bin")} go install github.com/open-policy-agent/opa@v1.22.4`,
    );
  }
  return path;
}
