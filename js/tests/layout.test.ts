/// <reference types="node" />
// The layout's promises that the compiler does not check: the lite renderer's protocol client and
// the transport never touch the DOM (so they run and test without one), and every element is
// built through the one helper in render/dom.ts.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), "../src");

function sources(dir: string): string[] {
  return readdirSync(path.join(src, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
}

function codeOf(file: string): string {
  // Comments may name the DOM; code may not.
  return readFileSync(path.join(src, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
}

describe("layout", () => {
  it.each([...sources("lite/client"), ...sources("transport"), "lite/schedule.ts"])("%s uses no DOM", (file) => {
    expect(codeOf(file)).not.toMatch(/\b(document|window|HTMLElement|Element|Node|CustomEvent|customElements)\b/);
  });

  it.each(sources(".").filter((f) => f !== "render/dom.ts"))("%s builds elements with h() from render/dom.ts", (file) => {
    // safe.ts parses into another window's document on purpose; hosted.ts defines no element of ours.
    const code = codeOf(file)
      .replace(/win\.document\.createElement/g, "")
      .replace(/document\.createElement\("openai-chatkit"\)/g, "");
    expect(code).not.toMatch(/document\.createElement\(/);
  });
});
