/**
 * The escaping layer lives in core (`@provenant/core` text/escape.ts) so that
 * every front end — the CLI, the actions, the tasks, the server — shows
 * untrusted text the same way. Re-exported here for the CLI's renderers.
 */
export { printable, printableMessage, terminalJson } from "@provenant/core/base";
