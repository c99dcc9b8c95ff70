/// <reference types="node" />
// Renders every real widget fixture (tests/fixtures/widgets: Widget Builder `.widget` files and the
// JSON their templates produce) and checks that each component came out, with no placeholder and
// nothing logged as an error.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { type ActionConfig, renderWidget, SUPPORTED_TYPES, type WidgetRoot } from "../../src/widgets";

const here = path.dirname(fileURLToPath(import.meta.url));
// chatkit-python's test assets, vendored with their licence notice (tests/fixtures/widgets/NOTICE).
const dir = path.join(here, "../../../tests/fixtures/widgets");

type Fixture = { file: string; root: WidgetRoot };

function loadFixtures(): Fixture[] {
  // Missing fixtures fail the file (readdirSync throws) instead of leaving nothing to test.
  const out: Fixture[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".widget") && !file.endsWith(".json")) continue; // NOTICE
    const data = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Record<string, unknown>;
    if (file.endsWith(".widget")) out.push({ file: `${file} (outputJsonPreview)`, root: data.outputJsonPreview as WidgetRoot });
    else if (file.endsWith(".json")) out.push({ file, root: data as unknown as WidgetRoot });
  }
  return out;
}

const fixtures = loadFixtures();

type Node = { type?: string; children?: unknown; value?: unknown; label?: unknown; onClickAction?: ActionConfig; [k: string]: unknown };

function* walk(node: unknown): Generator<Node> {
  if (Array.isArray(node)) {
    for (const n of node) yield* walk(n);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const n = node as Node;
  yield n;
  yield* walk(n.children);
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

let errors: MockInstance;
let warnings: MockInstance;

beforeEach(() => {
  errors = vi.spyOn(console, "error");
  warnings = vi.spyOn(console, "warn");
});

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

describe("widget fixtures", () => {
  it("finds the fixtures", () => {
    expect(existsSync(path.join(dir, "basic_root.widget")), `${dir} has no fixtures`).toBe(true);
    expect(fixtures.filter((f) => f.file.endsWith("(outputJsonPreview)")).length).toBeGreaterThanOrEqual(5);
    expect(fixtures.filter((f) => f.file.endsWith(".json")).length).toBeGreaterThanOrEqual(5);
  });

  it.each(fixtures.map((f) => [f.file, f.root] as const))("renders %s", async (_file, root) => {
    const calls: ActionConfig[] = [];
    for (const scheme of ["light", "dark"] as const) {
      const el = renderWidget(root, { colorScheme: scheme, onAction: (action) => void calls.push(action) });
      document.body.append(el);
      await new Promise((r) => setTimeout(r, 0));

      const nodes = [...walk(root)];
      // Only types we know, and every one of them drawn.
      for (const n of nodes) expect(SUPPORTED_TYPES, String(n.type)).toContain(n.type);
      expect(el.querySelectorAll(".ckw-unknown")).toHaveLength(0);
      const rendered = Array.from(el.querySelectorAll("[data-ckw-type]")).map((e) => e.getAttribute("data-ckw-type")!);
      expect(countBy(rendered)).toEqual(countBy(nodes.map((n) => n.type!)));

      // Text shows as text.
      for (const n of nodes) {
        if (n.type === "Markdown") continue;
        const shown = typeof n.value === "string" ? n.value : typeof n.label === "string" ? n.label : null;
        if (shown) expect(el.textContent).toContain(shown);
      }
      // Actions reach the host with their type and payload.
      const withAction = nodes.filter((n) => n.onClickAction);
      const targets = Array.from(el.querySelectorAll<HTMLElement>("button, [role=button]")).filter(
        (b) => !b.classList.contains("ckw-listview__more") && !b.classList.contains("ckw-card__toggle"),
      );
      expect(targets).toHaveLength(withAction.length);
      calls.length = 0;
      for (const t of targets) {
        t.click();
        await new Promise((r) => setTimeout(r, 0));
      }
      expect(calls).toEqual(withAction.map((n) => n.onClickAction));

      expect(el.getAttribute("data-color-scheme")).toBe(scheme);
      el.remove();
    }
    expect(errors).not.toHaveBeenCalled();
    expect(warnings).not.toHaveBeenCalled();
  });

  it("draws the Markdown of the channel message fixture", () => {
    const fixture = fixtures.find((f) => f.file.startsWith("card_with_data.json"));
    expect(fixture).toBeDefined();
    const el = renderWidget(fixture!.root, { colorScheme: "light", onAction: () => undefined });
    const md = el.querySelector(".ckw-markdown")!;
    expect(md.querySelectorAll("ol > li")).toHaveLength(3);
    expect(Array.from(md.querySelectorAll("strong")).map((s) => s.textContent)).toContain("Next week");
    const img = el.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("/pam.png");
    expect(img.style.width).toBe("44px");
    expect(el.querySelector(".ckw-divider")!.classList.contains("ckw-flush")).toBe(true);
  });

  it("resolves the palette colours of the list fixture", () => {
    const fixture = fixtures.find((f) => f.file.startsWith("list_view_with_data.json"));
    expect(fixture).toBeDefined();
    const el = renderWidget(fixture!.root, { colorScheme: "light", onAction: () => undefined });
    const swatches = Array.from(el.querySelectorAll<HTMLElement>(".ckw-list-item .ckw-box"));
    expect(swatches.map((s) => s.style.background)).toEqual(["#3b82f6", "#f97316", "#a855f7"]);
    expect(swatches.every((s) => s.style.borderRadius === "9999px" && s.style.width === "25px")).toBe(true);
  });
});
