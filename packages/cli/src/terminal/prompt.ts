import { ProvenantError } from "@provenant/core/base";

/**
 * Asks for a secret on the terminal without echoing it. Written by hand:
 * node:readline has no muted mode, and the alternatives on npm either echo
 * "*" or pull in a prompt framework for eight lines of raw-mode reading.
 * Only called when stdin and stderr are terminals (processIo decides).
 */
export function promptSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  const wasRaw = stdin.isRaw;
  // Echo goes off before the question shows, so nothing typed at it is echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          finish();
          reject(new ProvenantError("USAGE", "interrupted at the password prompt"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (value.length < 1024) value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
