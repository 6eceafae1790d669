import { describe, expect, it } from "vitest";
import { isPrintable, printable, terminalJson } from "./escape.js";

// Hostile values seen in the security review (issue 12 §1) and the classes it names.
const CORPUS: [string, string][] = [
  ["newline + GitHub workflow command", "ok\n::error::injected"],
  ["CRLF + Azure logging command", "ok\r\n##vso[task.setvariable variable=x]1"],
  ["newline + Azure group command", "ok\n##[error]forged"],
  ["ESC CSI clear screen", "ok\u001b[2J.bin"],
  ["OSC window title", "\u001b]0;pwned\u0007name"],
  ["C1 CSI (U+009B)", "a\u009b31mred"],
  ["DEL and NUL", "a\u007fb\u0000c"],
  ["right-to-left override", "evil\u202egpj.exe"],
  ["isolates U+2066..U+2069", "\u2066a\u2067b\u2068c\u2069"],
  ["line separator", "a\u2028b\u2029c"],
];

describe("printable", () => {
  it.each(CORPUS)("escapes %s to one inert line", (_name, hostile) => {
    const shown = printable(hostile);
    expect(isPrintable(shown)).toBe(true);
    for (const raw of ["\n", "\r", "\u001b", "\u009b", "\u202e"]) expect(shown).not.toContain(raw);
    expect(shown.split("\n")).toHaveLength(1);
  });

  it("writes escapes that name the character", () => {
    expect(printable("ok\n::error::x")).toBe("ok\\u000a::error::x");
    expect(printable("a\u202eb")).toBe("a\\u202eb");
  });

  it("leaves ordinary text, accents and emoji alone", () => {
    expect(printable("dist/app-1.2.tgz café ✓ 😀")).toBe("dist/app-1.2.tgz café ✓ 😀");
  });
});

describe("terminalJson", () => {
  it.each(CORPUS)("keeps %s inert and the value unchanged", (_name, hostile) => {
    const text = terminalJson({ name: hostile, list: [hostile] });
    expect(isPrintable(text.replaceAll("\n", ""))).toBe(true);
    expect(JSON.parse(text)).toEqual({ name: hostile, list: [hostile] });
  });

  it("escapes U+009B, which JSON.stringify leaves raw", () => {
    expect(JSON.stringify("\u009b")).toBe('"\u009b"');
    expect(terminalJson("\u009b")).toBe('"\\u009b"');
  });
});
