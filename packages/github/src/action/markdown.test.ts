import { describe, expect, it } from "vitest";
import { MAX_MARKDOWN_VALUE, markdownCode, markdownCodeBlock, markdownText } from "./markdown.js";

describe("markdownText", () => {
  it("shows a link, an image or HTML as the text it is", () => {
    expect(markdownText("[approve](https://evil.example)")).toBe("\\[approve\\]\\(https://evil.example\\)");
    expect(markdownText("![x](https://evil.example/p.png)")).toBe("\\!\\[x\\]\\(https://evil.example/p.png\\)");
    expect(markdownText("<img src=x onerror=alert(1)>")).toBe("\\<img src=x onerror=alert\\(1\\)\\>");
    expect(markdownText("&lt;b&gt;")).toBe("\\&lt;b\\&gt;");
  });

  it("keeps a value inside its table cell and on its line", () => {
    const escaped = markdownText("a | b\n| --- |\r\n::error::forged");
    expect(escaped).not.toMatch(/\n|\r/);
    expect(escaped.replace(/\\\|/g, "")).not.toContain("|");
  });

  it("escapes emphasis, code spans, mentions, math and backslashes; leaves plain names alone", () => {
    expect(markdownText("*bold* _it_ ~~s~~ `c` @team $x$ \\")).toBe("\\*bold\\* \\_it\\_ \\~\\~s\\~\\~ \\`c\\` \\@team \\$x\\$ \\\\");
    expect(markdownText("dist/app-1.4.0.tgz")).toBe("dist/app-1.4.0.tgz");
  });

  it("writes control and bidi characters as \\uXXXX and cuts long values", () => {
    expect(markdownText("evil\u202Egpj.exe\u001b[2J")).toBe("evil\\\\u202egpj.exe\\\\u001b\\[2J");
    expect(markdownText("x".repeat(MAX_MARKDOWN_VALUE + 10))).toBe(`${"x".repeat(MAX_MARKDOWN_VALUE)}…`);
  });
});

describe("markdownCode", () => {
  it("fences a value holding backticks with a longer run, padded at the edges", () => {
    expect(markdownCode("plain")).toBe("`plain`");
    expect(markdownCode("a`b")).toBe("``a`b``");
    expect(markdownCode("``x")).toBe("``` ``x ```");
  });

  it("escapes a pipe, as GFM needs even inside a code span in a table, and stays on one line", () => {
    expect(markdownCode("a|b\nc")).toBe("`a\\|b c`");
  });
});

describe("markdownCodeBlock", () => {
  it("uses a fence no line can close", () => {
    const block = markdownCodeBlock("sh", ["provenant verify 'x\n```\n[click](https://evil.example)'"]);
    expect(block[0]).toBe("````sh");
    expect(block.at(-1)).toBe("````");
    expect(block).toHaveLength(3);
  });
});
