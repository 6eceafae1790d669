import { micromark } from "micromark";
import { gfm, gfmHtml } from "micromark-extension-gfm";
import { describe, expect, it } from "vitest";
import { MAX_MARKDOWN_VALUE, markdownCode, markdownCodeBlock, markdownText } from "./markdown.js";

// Rendered with a real CommonMark + GFM parser (micromark with its GFM
// extension: tables, autolink literals, strikethrough) with raw HTML passed
// through, as a job summary page would: what a reader sees is what counts.
function render(markdown: string): string {
  return micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });
}

/** Every HTML tag name the rendered page holds. */
function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([a-z][a-z0-9]*)/gi)].map((m) => m[1]!.toLowerCase());
}

const HOSTILE = [
  "[approve](https://evil.example)",
  "![pixel](https://evil.example/p.png)",
  "<img src=x onerror=alert(1)>",
  "<script>alert(1)</script>",
  "<!-- hidden --> <b>bold</b>",
  "&lt;b&gt; &amp; &#x3C;i&#x3E;",
  "https://evil.example/login and www.evil.example and admin@evil.example",
  "<https://evil.example>",
  "[x]: https://evil.example",
  "[ref][x] [x]",
  "*bold* _it_ ~~strike~~ **b** __u__",
  "`code` ``two``",
  "# heading",
  "- list item",
  "+ plus item",
  "  --- rule",
  "1. numbered",
  "12345. numbered",
  "WWW.evil.example",
  "> quote",
  "a | b | c",
  "a\n| --- |\nb",
  "line\r\n## injected",
  "evil\u202Egpj.exe",
  "\u001b[2Jclear \u0007 bell \u0085 nel",
  "\\[escaped\\](https://evil.example)",
  "@octo-org/team $x^2$",
  "{{ template }}",
  '"quoted" \'single\'',
];

describe("markdownText", () => {
  it.each(HOSTILE)("renders %j as plain text in a paragraph, a heading and a table cell", (hostile) => {
    const text = markdownText(hostile);
    const paragraph = render(`Reason: ${text}`);
    expect(tagsOf(paragraph)).toEqual(["p", "p"]);
    expect(tagsOf(render(`${text}`)).every((t) => t === "p")).toBe(true);
    expect(tagsOf(render(`### ${text}`))).toEqual(["h3", "h3"]);
    const table = render(`| a | b |\n| --- | --- |\n| ${text} | end |`);
    // Two cells in the body row: the value neither adds a cell nor ends the row.
    expect(table.match(/<td>/g)).toHaveLength(2);
    expect(table).toContain("<td>end</td>");
    expect(tagsOf(table).filter((t) => !["table", "thead", "tbody", "tr", "th", "td"].includes(t))).toEqual([]);
  });

  it("shows the characters it was given, with controls and bidi characters as \\uXXXX", () => {
    const shown = (text: string) =>
      render(markdownText(text))
        .replace(/^<p>|<\/p>\n?$/g, "")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, "&");
    expect(shown("[approve](https://evil.example) <b>x</b> & \"q\" a|b *c*")).toBe("[approve](https://evil.example) <b>x</b> & \"q\" a|b *c*");
    expect(shown("&lt;b&gt;")).toBe("&lt;b&gt;");
    expect(shown("evil\u202Egpj.exe\u001b[2J")).toBe("evil\\u202egpj.exe\\u001b[2J");
    expect(shown("a\nb\r\nc")).toBe("a b c");
  });

  it("leaves ordinary names alone in the Markdown source", () => {
    expect(markdownText("dist/app-1.4.0.tgz")).toBe("dist/app-1.4.0.tgz");
    expect(markdownText("app.tar.gz, 2 of 3 rule(s) pass")).toBe("app.tar.gz, 2 of 3 rule\\(s\\) pass");
  });

  it("cuts a long value", () => {
    expect(markdownText("x".repeat(MAX_MARKDOWN_VALUE + 10))).toBe(`${"x".repeat(MAX_MARKDOWN_VALUE)}…`);
  });
});

describe("markdownCode", () => {
  it("fences a value holding backticks with a longer run, padded at the edges", () => {
    expect(markdownCode("plain")).toBe("`plain`");
    expect(markdownCode("a`b")).toBe("``a`b``");
    expect(markdownCode("``x")).toBe("``` ``x ```");
  });

  it.each(HOSTILE)("renders %j as one code span, also inside a table cell", (hostile) => {
    expect(tagsOf(render(`Policy ${markdownCode(hostile)} (sha256).`))).toEqual(["p", "code", "code", "p"]);
    const table = render(`| a | b |\n| --- | --- |\n| ${markdownCode(hostile)} | end |`);
    expect(table.match(/<td>/g)).toHaveLength(2);
    expect(table).toContain("<td>end</td>");
    expect(tagsOf(table).filter((t) => !["table", "thead", "tbody", "tr", "th", "td", "code"].includes(t))).toEqual([]);
  });

  it("keeps a pipe in a table cell and the text on one line", () => {
    expect(markdownCode("a|b\nc")).toBe("`a\\|b c`");
    expect(render(`| a |\n| --- |\n| ${markdownCode("a|b\nc")} |`)).toContain("<td><code>a|b c</code></td>");
  });
});

describe("markdownCodeBlock", () => {
  it("uses a fence no line can close, and keeps each line one line", () => {
    const block = markdownCodeBlock("sh", ["provenant verify 'x\n```\n[click](https://evil.example)'", "<b>two</b>"]);
    expect(block[0]).toBe("````sh");
    expect(block.at(-1)).toBe("````");
    expect(block).toHaveLength(4);
    const html = render(block.join("\n"));
    expect(tagsOf(html)).toEqual(["pre", "code", "code", "pre"]);
    expect(html).toContain("&lt;b&gt;two&lt;/b&gt;");
  });
});
