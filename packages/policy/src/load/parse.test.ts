import { describe, expect, it } from "vitest";
import { policyJsonSchema } from "../schema/policy-file.js";
import { parsePolicyFile } from "./parse.js";

const minimal = `
apiVersion: provenant.dev/v1
trust:
  keys:
    - name: ci
      pem: "-----BEGIN PUBLIC KEY-----"
rules:
  - name: all
    provenance:
      minimumLevel: 2
`;

function codeAndMessage(text: string): { code: string; message: string } {
  try {
    parsePolicyFile(text, "policy.yaml");
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error("expected the policy to be refused");
}

describe("parsePolicyFile", () => {
  it("reads YAML and JSON into the same policy", () => {
    const yaml = parsePolicyFile(minimal, "policy.yaml");
    const json = parsePolicyFile(JSON.stringify(yaml), "policy.json");
    expect(json).toEqual(yaml);
    expect(yaml.rules[0]?.provenance?.minimumLevel).toBe(2);
  });

  it("refuses another apiVersion, naming the field", () => {
    const { code, message } = codeAndMessage(minimal.replace("provenant.dev/v1", "provenant.dev/v2"));
    expect(code).toBe("INVALID_POLICY");
    expect(message).toContain("apiVersion");
  });

  it("refuses a misspelt rule field instead of ignoring it", () => {
    const { code, message } = codeAndMessage(minimal.replace("minimumLevel", "minimumLvl"));
    expect(code).toBe("INVALID_POLICY");
    expect(message).toContain("rules[0].provenance");
  });

  it("refuses a level outside 0 to 3 and a malformed maxAge", () => {
    expect(codeAndMessage(minimal.replace("minimumLevel: 2", "minimumLevel: 5")).message).toContain("minimumLevel");
    expect(codeAndMessage(minimal.replace("minimumLevel: 2", "maxAge: 3 weeks")).message).toContain("maxAge");
  });

  it("refuses a key with both file and pem, and a rego rule with two sources", () => {
    expect(codeAndMessage(minimal.replace('pem: "-----BEGIN PUBLIC KEY-----"', 'pem: "x"\n      file: k.pub')).message).toContain(
      "exactly one of file or pem",
    );
    const rego = `${minimal}    rego:\n      - module: a.rego\n        wasm: a.tar.gz\n        entrypoint: p/deny\n`;
    expect(codeAndMessage(rego).message).toContain("exactly one of module, wasm or url");
  });

  it("refuses YAML aliases (billion laughs) and deep nesting with a coded error", () => {
    const laughs = `a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n`;
    expect(codeAndMessage(laughs).code).toBe("INVALID_POLICY");
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    expect(codeAndMessage(deep).code).toBe("INVALID_POLICY");
  });

  it("refuses text that is not YAML, with the line", () => {
    const { code, message } = codeAndMessage("apiVersion: provenant.dev/v1\nrules: [\n");
    expect(code).toBe("INVALID_POLICY");
    expect(message).toMatch(/policy\.yaml line \d+/);
  });
});

describe("policyJsonSchema", () => {
  it("publishes a JSON Schema that names every top-level field and requires apiVersion, trust and rules", () => {
    const schema = policyJsonSchema() as { properties: Record<string, unknown>; required: string[]; $schema: string };
    expect(schema.$schema).toContain("2020-12");
    expect(Object.keys(schema.properties)).toEqual(["apiVersion", "kind", "metadata", "trust", "rules"]);
    expect(schema.required).toEqual(expect.arrayContaining(["apiVersion", "trust", "rules"]));
  });
});
