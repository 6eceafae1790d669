import { describe, expect, it } from "vitest";
import { detectPlatform } from "./platform.js";

describe("detectPlatform", () => {
  it("reads each CI's own marker variable", () => {
    expect(detectPlatform({ GITHUB_ACTIONS: "true" })).toBe("github");
    expect(detectPlatform({ GITLAB_CI: "true" })).toBe("gitlab");
    expect(detectPlatform({ JENKINS_URL: "https://ci.example.com/" })).toBe("jenkins");
    expect(detectPlatform({ TF_BUILD: "True" })).toBe("azure-pipelines");
    expect(detectPlatform({})).toBe("local");
    expect(detectPlatform({ GITHUB_ACTIONS: "false" })).toBe("local");
  });
});
