/// <reference types="node" />
// Renderer fidelity: colours per scheme, gradients in `background`, palette contrast in dark mode,
// and what an Image shows before it loads and when it fails.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { renderWidget, setWidgetColorScheme, type WidgetHost, type WidgetRoot } from "../../src/widgets";
import {
  AA,
  contrastRatio,
  DARK_PALETTE,
  luminance,
  PALETTE,
  resolveColor,
  SCHEME_REFERENCE,
  safeGradient,
} from "../../src/widgets/tokens";

const here = path.dirname(fileURLToPath(import.meta.url));
const CSS = readFileSync(path.join(here, "../../src/widgets/widgets.css"), "utf8");

/** The `--ckw-*` variables one scheme's block of widgets.css defines. */
function schemeVars(scheme: "light" | "dark"): Record<string, string> {
  const head = scheme === "light" ? '.ckw-root [data-color-scheme="light"] {' : '.ckw-root [data-color-scheme="dark"] {';
  const start = CSS.indexOf(head);
  expect(start, `widgets.css has a ${scheme} block`).toBeGreaterThan(0);
  const body = CSS.slice(start + head.length, CSS.indexOf("}", start));
  return Object.fromEntries(Array.from(body.matchAll(/(--ckw-[a-z-]+):\s*([^;]+);/g), (m) => [m[1]!, m[2]!.trim()]));
}

function host(colorScheme: "light" | "dark" = "light"): WidgetHost {
  return { colorScheme, onAction: () => undefined };
}

function mount(root: unknown, h: WidgetHost = host()): HTMLElement {
  const el = renderWidget(root as WidgetRoot, h);
  document.body.append(el);
  return el;
}

const basic = (...children: unknown[]) => ({ type: "Basic", children });
const at = (el: HTMLElement, p: string) => el.querySelector<HTMLElement>(`[data-ckw-path="${p}"]`)!;

afterEach(() => document.body.replaceChildren());

describe("{light, dark} colours", () => {
  const pair = { light: "#111111", dark: "#eeeeee" };
  const tree = basic(
    { type: "Text", value: "t", color: pair },
    { type: "Box", background: { light: "blue-100", dark: "blue-900" }, border: { size: 1, color: pair }, children: [] },
    { type: "Icon", name: "star", color: pair },
    { type: "Divider", color: pair },
  );

  it("take the side of the host's scheme, literally", () => {
    const light = mount(tree, host("light"));
    expect(at(light, "/0").style.color).toBe("#111111");
    expect(at(light, "/1").style.background).toBe("#dbeafe");
    expect(at(light, "/1").style.border).toContain("#111111");
    expect(at(light, "/2").style.color).toBe("#111111");
    const dark = mount(tree, host("dark"));
    expect(at(dark, "/0").style.color).toBe("#eeeeee");
    // blue-900 is what the author chose for dark: no dark-mode stand-in for a pair's side.
    expect(at(dark, "/1").style.background).toBe("#1e3a8a");
    expect(at(dark, "/1").style.border).toContain("#eeeeee");
    expect(at(dark, "/3").style.borderTopColor).toBe("#eeeeee");
  });

  it("are resolved again after a scheme switch, both ways", () => {
    const el = mount(tree, host("light"));
    setWidgetColorScheme(el, "dark");
    expect(el.getAttribute("data-color-scheme")).toBe("dark");
    expect(at(el, "/0").style.color).toBe("#eeeeee");
    expect(at(el, "/1").style.background).toBe("#1e3a8a");
    setWidgetColorScheme(el, "light");
    expect(at(el, "/0").style.color).toBe("#111111");
    expect(at(el, "/1").style.background).toBe("#dbeafe");
  });

  it("follow a Card's own theme inside a host of the other scheme", () => {
    const el = mount({ type: "Card", theme: "dark", children: [{ type: "Text", value: "t", color: pair }] }, host("light"));
    expect(at(el, "/0").style.color).toBe("#eeeeee");
  });

  it("fall back to the side there is, and refuse unsafe sides", () => {
    expect(resolveColor({ light: "#123456" }, "text", "dark")).toBe("#123456");
    expect(resolveColor({ light: "#fff", dark: "url(x)" }, "text", "dark")).toBeNull();
    expect(resolveColor({ light: "red", dark: "linear-gradient(red, blue)" }, "background", "dark")).toBe("linear-gradient(red, blue)");
  });
});

describe("gradients in background", () => {
  it.each([
    ["linear-gradient(135deg, #667eea 0%, #764ba2 100%)", "linear-gradient(135deg, #667eea 0%, #764ba2 100%)"],
    [
      "radial-gradient(circle at top left, rgb(255 0 0 / 0.5), transparent 70%)",
      "radial-gradient(circle at top left, rgb(255 0 0 / 0.5), transparent 70%)",
    ],
    ["conic-gradient(from 90deg at 50% 50%, red, blue)", "conic-gradient(from 90deg at 50% 50%, red, blue)"],
    [
      "Linear-Gradient(to right in oklch, oklch(70% 0.1 200), surface-secondary)",
      "linear-gradient(to right in oklch, oklch(70% 0.1 200), var(--ckw-surface-secondary))",
    ],
    [
      "repeating-linear-gradient(45deg, blue-100 0 10px, blue-200 10px 20px)",
      "repeating-linear-gradient(45deg, #dbeafe 0 10px, #bfdbfe 10px 20px)",
    ],
    ["linear-gradient(90deg, red calc(50% - 10px), blue)", "linear-gradient(90deg, red calc(50% - 10px), blue)"],
    [
      "linear-gradient(red, blue), radial-gradient(white, alpha-10)",
      "linear-gradient(red, blue), radial-gradient(white, rgb(var(--ckw-alpha-rgb) / 0.1))",
    ],
    ["linear-gradient(red, blue), #ffffff", "linear-gradient(red, blue), #ffffff"],
  ])("accepts %s", (input, expected) => {
    expect(resolveColor(input, "background", "light")).toBe(expected);
  });

  it("resolves palette tokens inside a gradient for the scheme", () => {
    const dark = resolveColor("linear-gradient(blue-50, blue-100)", "background", "dark")!;
    expect(dark).toBe(`linear-gradient(${DARK_PALETTE.fill.get("blue-50")}, ${DARK_PALETTE.fill.get("blue-100")})`);
    expect(luminance(DARK_PALETTE.fill.get("blue-100")!)).toBeLessThan(0.1);
  });

  it.each([
    "url(https://evil.example/x.png)",
    "linear-gradient(red, blue), url(x)",
    "linear-gradient(red, url(x))",
    "linear-gradient(red, blue); position: fixed",
    "linear-gradient(red, blue)} body { display: none",
    "linear-gradient(red, blue) !important",
    "expression(alert(1))",
    "linear-gradient(red, expression(alert(1)))",
    'linear-gradient(red, "blue")',
    "linear-gradient(red, b\\6c ue)",
    "linear-gradient(red, attr(data-x color))",
    "linear-gradient(red, image(x.png))",
    "linear-gradient(red, blue",
    "linear-gradient(red 10vx, blue)",
    "linear-gradient(red, notacolor)",
    "linear-gradient(red, rgb(0 0 0 / var(--x)))",
    "linear-gradient(red, linear-gradient(red, blue))",
    "image-set(url(x) 1x)",
    "linear-gradient(red, blue), linear-gradient(red, blue) x",
    `linear-gradient(red, ${"blue, ".repeat(400)}blue)`,
  ])("refuses %s", (input) => {
    expect(resolveColor(input, "background", "light")).toBeNull();
    expect(safeGradient(input, "light")).toBeNull();
  });

  it("is only for backgrounds", () => {
    expect(resolveColor("linear-gradient(red, blue)", "text", "light")).toBeNull();
    expect(resolveColor("linear-gradient(red, blue)", "border", "light")).toBeNull();
    expect(resolveColor("linear-gradient(red, blue)", "chart", "light")).toBeNull();
  });

  it("paints a Box, a Card and an Image", () => {
    const g = "linear-gradient(135deg, #667eea 0%, #764ba2 100%)";
    const el = mount({
      type: "Card",
      background: g,
      children: [
        { type: "Box", background: g, children: [] },
        { type: "Image", src: "https://example.com/a.png", alt: "a", background: g },
      ],
    });
    for (const node of [el.querySelector<HTMLElement>(".ckw-card")!, at(el, "/0"), at(el, "/1")]) {
      expect(node.getAttribute("style")).toContain("linear-gradient(135deg, #667eea 0%, #764ba2 100%)");
    }
    const bad = mount(basic({ type: "Box", background: "linear-gradient(red, blue); background: url(x)", children: [] }));
    expect(at(bad, "/0").getAttribute("style") ?? "").not.toContain("url");
    expect(at(bad, "/0").getAttribute("style") ?? "").not.toContain("gradient");
  });
});

describe("palette contrast", () => {
  it("uses the surface and prose colours widgets.css defines", () => {
    for (const scheme of ["light", "dark"] as const) {
      const vars = schemeVars(scheme);
      expect(vars["--ckw-surface"]).toBe(SCHEME_REFERENCE[scheme].surface);
      expect(vars["--ckw-text-prose"]).toBe(SCHEME_REFERENCE[scheme].prose);
    }
  });

  it("keeps every semantic text token readable on the surface in both schemes", () => {
    for (const scheme of ["light", "dark"] as const) {
      const vars = schemeVars(scheme);
      for (const token of [
        "prose",
        "primary",
        "emphasis",
        "secondary",
        "tertiary",
        "success",
        "warning",
        "danger",
        "info",
        "discovery",
        "caution",
      ]) {
        const ratio = contrastRatio(vars[`--ckw-text-${token}`]!, vars["--ckw-surface"]!);
        // Tertiary is for de-emphasised text; ChatKit's own tertiary sits near 3:1 too.
        expect(ratio, `${token} in ${scheme}: ${ratio.toFixed(2)}`).toBeGreaterThanOrEqual(token === "tertiary" ? 3 : AA);
      }
    }
  });

  it("gives every palette shade at least the contrast in dark that it had in light (up to AA)", () => {
    const failures: string[] = [];
    for (const [token, hex] of PALETTE) {
      const text = resolveColor(token, "text", "dark")!;
      const wantText = Math.min(AA, contrastRatio(hex, SCHEME_REFERENCE.light.surface));
      const gotText = contrastRatio(text, SCHEME_REFERENCE.dark.surface);
      if (gotText + 1e-9 < wantText) failures.push(`text ${token}: ${wantText.toFixed(2)} -> ${gotText.toFixed(2)}`);
      const fill = resolveColor(token, "background", "dark")!;
      const wantFill = Math.min(AA, contrastRatio(hex, SCHEME_REFERENCE.light.prose));
      const gotFill = contrastRatio(fill, SCHEME_REFERENCE.dark.prose);
      if (gotFill + 1e-9 < wantFill) failures.push(`background ${token}: ${wantFill.toFixed(2)} -> ${gotFill.toFixed(2)}`);
      expect(resolveColor(token, "text", "light")).toBe(hex);
    }
    expect(failures).toEqual([]);
  });

  it("turns light tints dark and dark inks light, as ChatKit's grayscale does", () => {
    expect(resolveColor("gray-100", "background", "dark")).toBe(PALETTE.get("gray-900"));
    expect(resolveColor("gray-900", "text", "dark")).toBe(PALETTE.get("gray-100"));
    expect(luminance(resolveColor("blue-100", "background", "dark")!)).toBeLessThan(0.1);
    expect(luminance(resolveColor("blue-900", "text", "dark")!)).toBeGreaterThan(0.5);
    // A mid tone that reads on white but not on the dark surface moves along its ramp.
    expect(resolveColor("gray-500", "text", "dark")).toBe(PALETTE.get("gray-400"));
    // What already suits a dark page stays: a dark panel, a pale ink meant for one.
    expect(resolveColor("gray-950", "background", "dark")).toBe(PALETTE.get("gray-950"));
    expect(resolveColor("blue-800", "background", "dark")).toBe(PALETTE.get("blue-800"));
    expect(resolveColor("blue-50", "text", "dark")).toBe(PALETTE.get("blue-50"));
  });

  it("keeps tinted panels with dark text, and dark panels with light text, readable in both schemes", () => {
    const hues = new Set(Array.from(PALETTE.keys(), (k) => k.replace(/-\d+$/, "")));
    for (const hue of hues) {
      const pairs = [
        ["50", "900"],
        ["100", "800"],
        ["100", "900"],
        ["50", "700"],
        ["900", "50"],
        ["800", "100"],
        ["950", "200"],
        ["700", "50"],
      ];
      for (const [bg, fg] of pairs) {
        for (const scheme of ["light", "dark"] as const) {
          const b = resolveColor(`${hue}-${bg}`, "background", scheme)!;
          const f = resolveColor(`${hue}-${fg}`, "text", scheme)!;
          const lightRatio = contrastRatio(PALETTE.get(`${hue}-${bg}`)!, PALETTE.get(`${hue}-${fg}`)!);
          if (lightRatio < AA) continue; // not a readable pair to begin with
          expect(contrastRatio(b, f), `${hue}-${fg} on ${hue}-${bg} in ${scheme}`).toBeGreaterThanOrEqual(AA);
        }
      }
    }
  });
});

describe("Image", () => {
  const src = "https://example.com/photo.png";

  it("is a placeholder box of the declared size until it loads", () => {
    const el = mount(
      basic(
        { type: "Image", src, alt: "Sized", size: 120 },
        { type: "Image", src, alt: "Wide", width: 320, aspectRatio: "16 / 9" },
        { type: "Image", src, alt: "Free" },
      ),
    );
    const sized = at(el, "/0") as HTMLImageElement;
    expect(sized.tagName).toBe("IMG");
    expect(sized.classList.contains("ckw-image--loading")).toBe(true);
    expect([sized.style.width, sized.style.height]).toEqual(["120px", "120px"]);
    expect(sized.classList.contains("ckw-image--auto-width")).toBe(false);
    expect(sized.classList.contains("ckw-image--auto-height")).toBe(false);
    const wide = at(el, "/1");
    expect(wide.style.width).toBe("320px");
    expect(wide.style.aspectRatio.replace(/\s/g, "")).toBe("16/9");
    expect(wide.classList.contains("ckw-image--auto-height")).toBe(false);
    const free = at(el, "/2");
    expect(free.classList.contains("ckw-image--auto-width")).toBe(true);
    expect(free.classList.contains("ckw-image--auto-height")).toBe(true);
    // The CSS gives the placeholder a visible tint and a default size on open axes only.
    expect(CSS).toMatch(/\.ckw-image--loading\s*\{[^}]*background-color/);
    expect(CSS).toMatch(/\.ckw-image--loading\.ckw-image--auto-height\s*\{\s*min-height/);

    sized.dispatchEvent(new Event("load"));
    expect(sized.classList.contains("ckw-image--loading")).toBe(false);
    expect(sized.isConnected).toBe(true);
  });

  it("becomes a neutral box with its alt text when it fails, keeping size and place", () => {
    const el = mount(basic({ type: "Image", id: "pic", src, alt: "A red bicycle", width: 200, height: 150, radius: "md", frame: true }));
    const img = at(el, "/0");
    img.dispatchEvent(new Event("error"));
    expect(el.querySelector("img")).toBeNull();
    const box = at(el, "/0");
    expect(box.getAttribute("role")).toBe("img");
    expect(box.getAttribute("aria-label")).toBe("A red bicycle");
    expect(box.textContent).toBe("A red bicycle");
    expect(box.classList.contains("ckw-image--failed")).toBe(true);
    expect(box.classList.contains("ckw-image--frame")).toBe(true);
    expect([box.style.width, box.style.height, box.style.borderRadius]).toEqual(["200px", "150px", "var(--ckw-radius-md)"]);
    expect(box.getAttribute("data-ckw-id")).toBe("pic");
    expect(box.getAttribute("data-ckw-type")).toBe("Image");
  });

  it("falls back also when the load fails before the widget is in the document", () => {
    const el = renderWidget(basic({ type: "Image", src, alt: "Early" }) as WidgetRoot, host());
    at(el, "/0").dispatchEvent(new Event("error"));
    document.body.append(el);
    expect(el.querySelector("img")).toBeNull();
    expect(at(el, "/0").textContent).toBe("Early");
  });

  it("shows the alt text as text, never as markup", () => {
    const el = mount(basic({ type: "Image", src, alt: "<img src=x onerror=alert(1)>" }));
    at(el, "/0").dispatchEvent(new Event("error"));
    expect(el.querySelector("img")).toBeNull();
    expect(at(el, "/0").textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("does not load a source the sanitizer refuses, and shows the alt text instead", () => {
    for (const bad of ["javascript:alert(1)", "data:image/svg+xml,<svg onload=alert(1)>", "file:///etc/passwd"]) {
      const el = mount(basic({ type: "Image", src: bad, alt: "Blocked", size: 64 }));
      expect(el.querySelector("img")).toBeNull();
      const box = at(el, "/0");
      expect(box.classList.contains("ckw-image--blocked")).toBe(true);
      expect(box.textContent).toBe("Blocked");
      expect(box.style.width).toBe("64px");
    }
  });

  it("without alt text fails to an empty box with a generic name", () => {
    const el = mount(basic({ type: "Image", src }));
    at(el, "/0").dispatchEvent(new Event("error"));
    const box = at(el, "/0");
    expect(box.getAttribute("aria-label")).toBe("Image not available");
    expect(box.textContent).toBe("");
  });
});
