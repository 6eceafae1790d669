import { describe, expect, it } from "vitest";
import { logText, markdownText } from "./escape.js";

describe("logText", () => {
  it("keeps one line and breaks logging commands wherever they are", () => {
    expect(logText("ok ##vso[task.complete result=Succeeded]x\n##[error]y")).toBe("ok #\\u0023vso[task.complete result=Succeeded]x\\u000a#\\u0023[error]y");
    expect(logText("issue #12 and ## heading")).toBe("issue #12 and ## heading");
  });
});

describe("markdownText", () => {
  it("renders hostile text inert: no HTML, link, image, emphasis, table cell or heading", () => {
    const text = markdownText('# <img src=x onerror=alert(1)> ![i](https://e.example/i.png) [l](https://e.example) *a* _b_ `c` | d');
    expect(text).not.toMatch(/<|>|\]\(|(?<!\\)\||(?<!\\)\*|(?<!\\)`/);
    expect(text).toBe(
      "\\# &lt;img src=x onerror=alert\\(1\\)&gt; \\!\\[i\\]\\(https\\://e\\.example/i\\.png\\) \\[l\\]\\(https\\://e\\.example\\) \\*a\\* \\_b\\_ \\`c\\` \\| d",
    );
  });

  it("keeps it on one line", () => {
    expect(markdownText("a\nb\r\nc")).not.toMatch(/[\r\n]/);
  });
});
