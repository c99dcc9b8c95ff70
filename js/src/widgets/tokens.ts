// ChatKit design tokens -> CSS values. Semantic tokens become CSS variables defined in
// widgets.css (so they follow the colour scheme); palette tokens (`orange-700`) become fixed hex
// values; `{light, dark}` pairs are picked by the scheme in force where the node renders.
// Anything that is not a token must pass the safe.ts whitelists or is dropped.
import { safeColor, safeCssLength, safeCssLengthList } from "../render/safe";
import type { ColorScheme } from "./types";

// --- spacing ---------------------------------------------------------------------------------

/** ChatKit's spacing unit: `gap: 4` is four units. Themable through `--ckw-space`. */
export const SPACING_UNIT = "var(--ckw-space, 4px)";

/** A spacing value: numbers count spacing units, strings must be safe CSS lengths. */
export function spacing(v: unknown): string | null {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return null;
    return v === 0 ? "0" : `calc(${SPACING_UNIT} * ${Math.round(v * 1000) / 1000})`;
  }
  return safeCssLengthList(v);
}

/** A dimension (width, height, min/max, Spacer size): numbers are pixels. */
export function dimension(v: unknown): string | null {
  return safeCssLength(v);
}

export type SideValues = { top?: string; right?: string; bottom?: string; left?: string };

/** A `number | string | {top,right,bottom,left,x,y}` spacing prop, side by side. */
export function spacingSides(v: unknown): SideValues | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const pick = (side: string, axis: string): string | undefined => spacing(o[side] ?? o[axis]) ?? undefined;
    return { top: pick("top", "y"), right: pick("right", "x"), bottom: pick("bottom", "y"), left: pick("left", "x") };
  }
  const all = spacing(v);
  if (all === null) return null;
  const parts = all.startsWith("calc(") ? [all] : all.split(" ");
  const [t, r = t, b = t, l = r] = parts;
  return { top: t, right: r, bottom: b, left: l };
}

// --- radius ----------------------------------------------------------------------------------

export const RADIUS_TOKENS = ["2xs", "xs", "sm", "md", "lg", "xl", "2xl", "3xl", "4xl", "full", "100%", "none"] as const;

export function radius(v: unknown): string | null {
  switch (v) {
    case "full":
      return "9999px";
    case "100%":
      return "100%";
    case "none":
      return "0";
    default:
      return typeof v === "string" && (RADIUS_TOKENS as readonly string[]).includes(v) ? `var(--ckw-radius-${v})` : null;
  }
}

// --- colour ----------------------------------------------------------------------------------

/** Where a colour is used, which decides the meaning of semantic names like `secondary`. */
export type ColorRole = "text" | "background" | "border" | "chart";

const TEXT_TOKENS = new Set([
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
]);
const SURFACE_TOKENS = new Set(["surface", "surface-secondary", "surface-tertiary", "surface-elevated", "surface-elevated-secondary"]);
const BORDER_TOKENS = new Set(["default", "subtle", "strong"]);
export const CHART_TOKENS = ["blue", "purple", "orange", "green", "red", "yellow", "pink"] as const;
const SEMANTIC_TOKENS = new Set(["primary", "secondary", "success", "danger", "warning", "info", "discovery", "caution"]);

// Primitive palette (`<hue>-<shade>`), Tailwind's values.
const SHADES = [50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950] as const;
const PALETTE_SOURCE: Record<string, string> = {
  slate: "f8fafc f1f5f9 e2e8f0 cbd5e1 94a3b8 64748b 475569 334155 1e293b 0f172a 020617",
  gray: "f9fafb f3f4f6 e5e7eb d1d5db 9ca3af 6b7280 4b5563 374151 1f2937 111827 030712",
  zinc: "fafafa f4f4f5 e4e4e7 d4d4d8 a1a1aa 71717a 52525b 3f3f46 27272a 18181b 09090b",
  neutral: "fafafa f5f5f5 e5e5e5 d4d4d4 a3a3a3 737373 525252 404040 262626 171717 0a0a0a",
  stone: "fafaf9 f5f5f4 e7e5e4 d6d3d1 a8a29e 78716c 57534e 44403c 292524 1c1917 0c0a09",
  red: "fef2f2 fee2e2 fecaca fca5a5 f87171 ef4444 dc2626 b91c1c 991b1b 7f1d1d 450a0a",
  orange: "fff7ed ffedd5 fed7aa fdba74 fb923c f97316 ea580c c2410c 9a3412 7c2d12 431407",
  amber: "fffbeb fef3c7 fde68a fcd34d fbbf24 f59e0b d97706 b45309 92400e 78350f 451a03",
  yellow: "fefce8 fef9c3 fef08a fde047 facc15 eab308 ca8a04 a16207 854d0e 713f12 422006",
  lime: "f7fee7 ecfccb d9f99d bef264 a3e635 84cc16 65a30d 4d7c0f 3f6212 365314 1a2e05",
  green: "f0fdf4 dcfce7 bbf7d0 86efac 4ade80 22c55e 16a34a 15803d 166534 14532d 052e16",
  emerald: "ecfdf5 d1fae5 a7f3d0 6ee7b7 34d399 10b981 059669 047857 065f46 064e3b 022c22",
  teal: "f0fdfa ccfbf1 99f6e4 5eead4 2dd4bf 14b8a6 0d9488 0f766e 115e59 134e4a 042f2e",
  cyan: "ecfeff cffafe a5f3fc 67e8f9 22d3ee 06b6d4 0891b2 0e7490 155e75 164e63 083344",
  sky: "f0f9ff e0f2fe bae6fd 7dd3fc 38bdf8 0ea5e9 0284c7 0369a1 075985 0c4a6e 082f49",
  blue: "eff6ff dbeafe bfdbfe 93c5fd 60a5fa 3b82f6 2563eb 1d4ed8 1e40af 1e3a8a 172554",
  indigo: "eef2ff e0e7ff c7d2fe a5b4fc 818cf8 6366f1 4f46e5 4338ca 3730a3 312e81 1e1b4b",
  violet: "f5f3ff ede9fe ddd6fe c4b5fd a78bfa 8b5cf6 7c3aed 6d28d9 5b21b6 4c1d95 2e1065",
  purple: "faf5ff f3e8ff e9d5ff d8b4fe c084fc a855f7 9333ea 7e22ce 6b21a8 581c87 3b0764",
  fuchsia: "fdf4ff fae8ff f5d0fe f0abfc e879f9 d946ef c026d3 a21caf 86198f 701a75 4a044e",
  pink: "fdf2f8 fce7f3 fbcfe8 f9a8d4 f472b6 ec4899 db2777 be185d 9d174d 831843 500724",
  rose: "fff1f2 ffe4e6 fecdd3 fda4af fb7185 f43f5e e11d48 be123c 9f1239 881337 4c0519",
};

export const PALETTE: ReadonlyMap<string, string> = new Map(
  Object.entries(PALETTE_SOURCE).flatMap(([hue, hexes]) =>
    hexes.split(" ").map((hex, i) => [`${hue}-${SHADES[i]}`, `#${hex}`] as [string, string]),
  ),
);

// --- palette in dark mode --------------------------------------------------------------------
//
// ChatKit's design system (OpenAI's Apps SDK UI) defines its grayscale per scheme, mirrored:
// gray-100 is #ededed in light and #181818 in dark, gray-900 the other way round; its semantic
// tokens then pick a lighter shade in dark (info text: blue-700 -> blue-200). We do the same for
// every ramp, so a widget written against a white card stays readable on a dark one. A colour
// made for the light scheme (a pale fill under dark text, a dark ink on a white surface) gets, in
// dark mode, its mirror shade `hue-(1000-N)` (50 <-> 950, 100 <-> 900 ...), moved further along
// the ramp if that stands out from the dark reference less than `hue-N` did from the light one
// (capped at WCAG AA, 4.5:1). A colour that already suits the dark scheme better (a dark panel,
// a light ink meant for it) stays, so an author's dark hero box with white text is left alone.
// Text, icons, borders and chart series are measured against the surface; backgrounds against
// the prose text on them. `{light, dark}` pairs are taken literally: both colours were chosen.

/** WCAG AA for normal text. */
export const AA = 4.5;

/** The colours palette shades are measured against: --ckw-surface and --ckw-text-prose in widgets.css. */
export const SCHEME_REFERENCE = {
  light: { surface: "#ffffff", prose: "#0d0d0d" },
  dark: { surface: "#212121", prose: "#ececec" },
} as const;

function channel(hex: string, i: number): number {
  const v = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of a `#rrggbb` colour. */
export function luminance(hex: string): number {
  return 0.2126 * channel(hex, 0) + 0.7152 * channel(hex, 1) + 0.0722 * channel(hex, 2);
}

/** WCAG contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

type Ink = "surface" | "prose";

function darkShade(ramp: readonly string[], i: number, against: Ink): string {
  const ref = SCHEME_REFERENCE.dark[against];
  const inLight = contrastRatio(ramp[i]!, SCHEME_REFERENCE.light[against]);
  if (contrastRatio(ramp[i]!, ref) >= inLight) return ramp[i]!;
  const want = Math.min(AA, inLight);
  // Lighter shades (lower index) stand out from a dark surface; darker ones from light prose.
  const step = against === "surface" ? -1 : 1;
  let j = ramp.length - 1 - i;
  while (contrastRatio(ramp[j]!, ref) < want && ramp[j + step] !== undefined) j += step;
  return ramp[j]!;
}

function darkTable(against: Ink): ReadonlyMap<string, string> {
  return new Map(
    Object.entries(PALETTE_SOURCE).flatMap(([hue, hexes]) => {
      const ramp = hexes.split(" ").map((h) => `#${h}`);
      return ramp.map((_, i) => [`${hue}-${SHADES[i]}`, darkShade(ramp, i, against)] as [string, string]);
    }),
  );
}

/** Dark-mode stand-ins for palette tokens, per role: text-like uses and backgrounds. */
export const DARK_PALETTE: { readonly ink: ReadonlyMap<string, string>; readonly fill: ReadonlyMap<string, string> } = {
  ink: darkTable("surface"),
  fill: darkTable("prose"),
};

/** The hex a palette token (`blue-100`) paints with in `scheme`, or undefined for other strings. */
export function paletteColor(token: string, role: ColorRole, scheme: ColorScheme): string | undefined {
  if (scheme === "light") return PALETTE.get(token);
  return (role === "background" ? DARK_PALETTE.fill : DARK_PALETTE.ink).get(token);
}

// --- gradients -------------------------------------------------------------------------------
//
// `background` may be a CSS gradient (ChatKit types it as a plain string). It is rebuilt token by
// token from an allowlist: gradient functions at the top, inside them only numbers with angle or
// length units, `#hex`, position/shape/interpolation keywords, colour tokens (resolved like any
// other colour, so `linear-gradient(blue-100, blue-300)` follows the scheme), colour functions
// that pass safeColor and calc()-style lengths that pass safeCssLength. Any other character
// (quotes, `;`, braces, backslashes, `:`, `!`) or function (`url()`, `image()`, `expression()`,
// `attr()`, `element()`) rejects the whole value.

const GRADIENTS = new Set(["linear", "radial", "conic"].flatMap((g) => [`${g}-gradient`, `repeating-${g}-gradient`]));
const GRADIENT_WORDS = new Set(
  (
    "to top bottom left right center at circle ellipse closest-side closest-corner farthest-side " +
    "farthest-corner from in srgb srgb-linear display-p3 a98-rgb prophoto-rgb rec2020 lab oklab xyz " +
    "xyz-d50 xyz-d65 hsl hwb lch oklch shorter longer increasing decreasing hue"
  ).split(" "),
);
const COLOR_FUNCTIONS = new Set(["rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch"]);
const MATH = new Set(["calc", "min", "max", "clamp"]);
const NUMBER_UNITS = new Set([
  "deg",
  "rad",
  "grad",
  "turn",
  "%",
  "px",
  "em",
  "rem",
  "vh",
  "vw",
  "vmin",
  "vmax",
  "ch",
  "ex",
  "pt",
  "cm",
  "mm",
  "in",
]);
const MAX_BACKGROUND = 2000;

/** Index just past the `)` that closes the `(` at `open`, or -1. */
function closing(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i + 1;
  }
  return -1;
}

// One token inside a gradient; the order of the alternatives matters (numbers before words,
// function names before bare words).
const GRADIENT_TOKEN =
  /(?<space>\s+)|(?<punct>[,/])|(?<hash>#[0-9a-f]+)|(?<num>[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?(?<unit>%|[a-z]+)?)|(?<fn>-{0,2}[a-z_][a-z0-9_-]*)\(|(?<word>[a-z][a-z0-9-]*)/iy;

/** A call inside a gradient (`rgb(...)`, `calc(...)`, `var(--x)`), as written if safe, else null. */
function innerCall(name: string, call: string): string | null {
  if (COLOR_FUNCTIONS.has(name)) return safeColor(call);
  if (MATH.has(name)) return safeCssLength(call);
  if (name === "var") return /^var\(\s*--[a-z0-9_-]+\s*\)$/i.test(call) ? call : null;
  return null;
}

/** The inside of one gradient function, rebuilt, or null. */
function gradientArgs(body: string, scheme: ColorScheme, literal: boolean): string | null {
  const out: string[] = [];
  let i = 0;
  while (i < body.length) {
    GRADIENT_TOKEN.lastIndex = i;
    const m = GRADIENT_TOKEN.exec(body);
    if (!m?.groups) return null;
    const g = m.groups;
    let next = i + m[0].length;
    let piece: string | null = m[0];
    if (g.space) piece = " ";
    else if (g.hash) piece = safeColor(g.hash);
    else if (g.num) piece = g.unit === undefined || NUMBER_UNITS.has(g.unit.toLowerCase()) ? g.num : null;
    else if (g.fn) {
      next = closing(body, i + g.fn.length);
      piece = next < 0 ? null : innerCall(g.fn.toLowerCase(), body.slice(i, next));
    } else if (g.word) {
      const word = g.word.toLowerCase();
      piece = GRADIENT_WORDS.has(word) ? word : resolve(g.word, "background", scheme, literal);
    }
    if (piece === null) return null;
    out.push(piece);
    i = next;
  }
  return out.join("").trim();
}

/**
 * A `background` made of CSS gradients (comma-separated layers, the last of which may be a plain
 * colour), rebuilt from allowed parts with colour tokens resolved for `scheme`; null when any
 * part is not allowed.
 */
export function safeGradient(v: string, scheme: ColorScheme, literal = false): string | null {
  const s = v.trim();
  if (s.length > MAX_BACKGROUND) return null;
  const layers: string[] = [];
  let i = 0;
  while (i < s.length) {
    const m = /^\s*([a-z-]+)\(/i.exec(s.slice(i));
    if (!m || !GRADIENTS.has(m[1]!.toLowerCase())) {
      // Only a final plain colour may follow the gradients.
      if (layers.length === 0) return null;
      const last = resolve(s.slice(i), "background", scheme, literal);
      if (last === null || /gradient\(/i.test(last)) return null;
      layers.push(last);
      break;
    }
    const open = i + m[0].length - 1;
    const end = closing(s, open);
    if (end < 0) return null;
    const args = gradientArgs(s.slice(open + 1, end - 1), scheme, literal);
    if (!args) return null;
    layers.push(`${m[1]!.toLowerCase()}(${args})`);
    const sep = /^\s*(,|$)/.exec(s.slice(end));
    if (!sep) return null;
    i = end + sep[0].length;
    if (sep[1] === "") break;
  }
  return layers.length ? layers.join(", ") : null;
}

function isThemeColor(v: unknown): v is { light?: unknown; dark?: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && ("light" in v || "dark" in v);
}

function resolve(v: unknown, role: ColorRole, scheme: ColorScheme, literal: boolean): string | null {
  // A pair's sides are final colours: no dark-mode stand-ins inside them.
  if (isThemeColor(v)) return resolve(v[scheme] ?? v.light ?? v.dark, role, scheme, true);
  if (typeof v !== "string") return null;
  const s = v.trim();
  const lower = s.toLowerCase();
  if (role === "text" && TEXT_TOKENS.has(lower)) return `var(--ckw-text-${lower})`;
  if (role === "background" && SURFACE_TOKENS.has(lower)) return `var(--ckw-${lower})`;
  if (role === "border" && BORDER_TOKENS.has(lower)) return `var(--ckw-border-${lower})`;
  if (role === "chart" && (CHART_TOKENS as readonly string[]).includes(lower)) return `var(--ckw-chart-${lower})`;
  if (SEMANTIC_TOKENS.has(lower)) return `var(--ckw-color-${lower})`;
  const alpha = /^alpha-(\d{1,3})$/.exec(lower);
  if (alpha) {
    const pct = Math.min(100, Number(alpha[1]));
    return `rgb(var(--ckw-alpha-rgb) / ${pct / 100})`;
  }
  const hex = paletteColor(lower, role, literal ? "light" : scheme);
  if (hex) return hex;
  if (role === "background" && /gradient\(/i.test(s)) return safeGradient(s, scheme, literal);
  return safeColor(s);
}

/**
 * Resolves a colour prop (`"orange-700"`, `"secondary"`, `"alpha-10"`, `"#fff"`, `{light, dark}`,
 * and for backgrounds a CSS gradient) to a CSS value for `scheme`, or `null` when it is neither a
 * known token nor safe CSS. Palette tokens get their dark-mode stand-in in the dark scheme.
 */
export function resolveColor(v: unknown, role: ColorRole, scheme: ColorScheme): string | null {
  return resolve(v, role, scheme, false);
}
