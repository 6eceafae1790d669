import { expect } from "vitest";

/**
 * Hostile strings from the security review (issue 12 §1): C0/C1 controls,
 * ESC/OSC/CSI sequences, newlines followed by CI workflow commands, bidi overrides.
 */
export const HOSTILE = {
  githubCommand: "ok\n::error::injected",
  azureCommand: "ok\r\n##vso[task.setvariable variable=x]1",
  azureGroup: "ok\n##[error]forged",
  clearScreen: "ok\u001b[2J.bin",
  osc: "\u001b]0;pwned\u0007title",
  c1Csi: "a\u009b31mred",
  rtl: "evil\u202egpj.exe",
  isolate: "\u2066a\u2069b",
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** What reached the terminal holds no raw control or bidi character and no line a CI would read as a command. */
export function expectInert(text: string): void {
  expect(text, JSON.stringify(text)).not.toMatch(UNSAFE);
  for (const line of text.split("\n")) {
    expect(line.startsWith("::") || line.startsWith("##vso[") || line.startsWith("##["), JSON.stringify(line)).toBe(false);
  }
}
