import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { preAuthEncoding, preAuthEncodingOfBase64 } from "./pae.js";

const code = (text: string) => {
  try {
    decodeBase64(text, "payload");
    return "ok";
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe("decodeBase64", () => {
  it("decodes every canonical encoding back to its bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64");
        expect(decodeBase64(text, "payload").equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it("refuses what Node's lenient decoder would accept: url-safe, whitespace, inner padding, truncation, stray characters", () => {
    for (const bad of ["ab-_", "YWJj ZGVm", "YQ==YWJj", "YWJ", "YWJjZA=", "YW*j", "YWJj\n", "====", "Y===", "YWJjZGVm="]) {
      expect(code(bad), JSON.stringify(bad)).toBe("INVALID_BASE64");
    }
  });

  it("refuses non-canonical pad bits (RFC 4648 §3.5) and accepts the canonical neighbour", () => {
    expect(code("YR==")).toBe("INVALID_BASE64");
    expect(code("YWI=")).toBe("ok");
    expect(code("YWJ=")).toBe("INVALID_BASE64");
    expect(code("YQ==")).toBe("ok");
  });

  it("agrees with decode-then-re-encode on arbitrary strings over the alphabet and its neighbours", () => {
    const chars = fc.constantFrom(..."ABCDabcd0189+/=-_ *\n".split(""));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }).map((c) => c.join("")), (text) => {
        const reference = /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0 && Buffer.from(text, "base64").toString("base64") === text;
        expect(code(text) === "ok").toBe(reference);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("encodeBase64", () => {
  it("encodes exactly the bytes of a view into a larger buffer, and of a plain Uint8Array", () => {
    const whole = Buffer.from("0123456789");
    expect(encodeBase64(whole.subarray(2, 5))).toBe(Buffer.from("234").toString("base64"));
    expect(encodeBase64(new Uint8Array([0xff, 0x00, 0x10]))).toBe("/wAQ");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(8), (bytes, skip) => {
        const padded = new Uint8Array(bytes.length + skip * 2);
        padded.set(bytes, skip);
        const view = padded.subarray(skip, skip + bytes.length);
        expect(decodeBase64(encodeBase64(view), "payload")).toEqual(Buffer.from(bytes));
      }),
    );
  });
});

describe("preAuthEncodingOfBase64", () => {
  const outcome = (text: string) => {
    try {
      const { pae, payload } = preAuthEncodingOfBase64("application/vnd.in-toto+json", text, "payload");
      return { pae: pae.toString("hex"), payload: payload.toString("hex") };
    } catch (error) {
      return (error as { code: string }).code;
    }
  };
  const reference = (text: string) => {
    try {
      const payload = decodeBase64(text, "payload");
      return { pae: preAuthEncoding("application/vnd.in-toto+json", payload).toString("hex"), payload: payload.toString("hex") };
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it("decodes into the encoding exactly what decodeBase64 and preAuthEncoding give, and refuses what they refuse", () => {
    for (const bad of ["ab-_", "YWJj ZGVm", "YQ==YWJj", "YWJ", "YWJjZA=", "YW*j", "YWJj\n", "====", "Y===", "YWJjZGVm=", "YR==", "YWJ="]) {
      expect(outcome(bad), JSON.stringify(bad)).toBe("INVALID_BASE64");
    }
    const chars = fc.constantFrom(..."ABCDabcd0189+/=-_ *\n".split(""));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }).map((c) => c.join("")), (text) => {
        expect(outcome(text)).toEqual(reference(text));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64");
        expect(outcome(text)).toEqual(reference(text));
      }),
    );
  });
});
