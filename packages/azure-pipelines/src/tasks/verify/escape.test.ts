import { describe, expect, it } from "vitest";
import { logText } from "./escape.js";

describe("logText", () => {
  it("keeps one line and breaks logging commands wherever they are", () => {
    expect(logText("ok ##vso[task.complete result=Succeeded]x\n##[error]y")).toBe("ok #\\u0023vso[task.complete result=Succeeded]x\\u000a#\\u0023[error]y");
    expect(logText("issue #12 and ## heading")).toBe("issue #12 and ## heading");
  });
});
