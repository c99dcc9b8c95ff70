/// <reference types="node" />
// The bundles carry only the lucide icons they draw themselves: all of lucide is 450 kB, and any
// other `lucide:` icon comes from the kernel (icons.ts). Size budgets on the built files are in
// tests/test_bundle.py.
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";
import { CHATKIT_ICONS } from "../../src/widgets";

const here = path.dirname(fileURLToPath(import.meta.url));

async function bundle(entry: string): Promise<{ bytes: number; lucideIcons: number }> {
  const result = await esbuild.build({
    entryPoints: [path.join(here, "../../src", entry)],
    outdir: path.join(here, "out"),
    bundle: true,
    format: "esm",
    target: ["es2020"],
    minify: true,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const js = result.outputFiles.find((f) => f.path.endsWith(".js"))!;
  // Every file esbuild read is an input; the output's inputs with bytes in it are what shipped.
  const output = Object.entries(result.metafile.outputs).find(([p]) => p.endsWith(".js"))![1];
  const lucideIcons = Object.entries(output.inputs).filter(
    ([p, { bytesInOutput }]) => bytesInOutput > 0 && /node_modules\/lucide\/.*\/icons\/[^/]+\.m?js$/.test(p),
  );
  return { bytes: js.contents.length, lucideIcons: lucideIcons.length };
}

describe("bundles", () => {
  it("the standalone view bundles only the lucide icons ChatKit widget names use", async () => {
    const view = await bundle("widgets/view.ts");
    const used = new Set(Object.values(CHATKIT_ICONS)).size;
    expect(view.lucideIcons).toBeGreaterThanOrEqual(used);
    expect(view.lucideIcons).toBeLessThan(used + 5);
    expect(view.bytes).toBeLessThan(250_000);
  }, 30_000);

  it("the chat bundles its own chrome's icons and ChatKit's, not all of lucide", async () => {
    const chat = await bundle("index.ts");
    expect(chat.lucideIcons).toBeGreaterThanOrEqual(new Set(Object.values(CHATKIT_ICONS)).size);
    expect(chat.lucideIcons).toBeLessThan(150);
    expect(chat.bytes).toBeLessThan(300_000);
  }, 30_000);
});
