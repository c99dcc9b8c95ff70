// ChatKit's `theme` option as CSS custom properties on the lite root. lite.css reads only these
// variables, so a theme change is a handful of style writes, never a re-render.
import type { ChatKitOptions, ThemeOption } from "@openai/chatkit";

export type ColorScheme = "light" | "dark";

export function themeOption(theme: ChatKitOptions["theme"]): ThemeOption {
  if (theme === "light" || theme === "dark") return { colorScheme: theme };
  return theme ?? {};
}

const RADIUS: Record<NonNullable<ThemeOption["radius"]>, [string, string]> = {
  // [controls (buttons, composer), surfaces (messages, cards)]
  pill: ["999px", "20px"],
  round: ["14px", "16px"],
  soft: ["8px", "10px"],
  sharp: ["0px", "0px"],
};

const DENSITY: Record<NonNullable<ThemeOption["density"]>, string> = {
  compact: "0.75",
  normal: "1",
  spacious: "1.3",
};

// How strongly the accent tints soft surfaces (selected chips, the user bubble) per level.
const ACCENT_MIX = ["10%", "16%", "24%", "34%"];

/** CSS variables for a theme; unset entries fall back to lite.css defaults. */
export function themeVariables(theme: ThemeOption, scheme: ColorScheme): Record<string, string> {
  const vars: Record<string, string> = {};
  const [control, surface] = RADIUS[theme.radius ?? "pill"] ?? RADIUS.pill;
  vars["--ckl-radius"] = control;
  vars["--ckl-radius-surface"] = surface;
  vars["--ckl-density"] = DENSITY[theme.density ?? "normal"] ?? "1";

  const typography = theme.typography;
  if (typography?.baseSize) vars["--ckl-font-size"] = `${typography.baseSize}px`;
  if (typography?.fontFamily) vars["--ckl-font-family"] = typography.fontFamily;
  if (typography?.fontFamilyMono) vars["--ckl-font-mono"] = typography.fontFamilyMono;

  const color = theme.color;
  const accent = color?.accent;
  if (accent?.primary) {
    vars["--ckl-accent"] = accent.primary;
    vars["--ckl-accent-mix"] = ACCENT_MIX[accent.level ?? 1] ?? ACCENT_MIX[1];
  }
  const gray = color?.grayscale;
  if (gray && Number.isFinite(gray.hue)) {
    // Tint 0-9 -> saturation of the neutral palette; shade -4..4 -> lightness shift.
    const sat = Math.max(0, Math.min(9, gray.tint ?? 0)) * 2.5;
    const shade = Math.max(-4, Math.min(4, gray.shade ?? 0));
    const hue = gray.hue;
    if (scheme === "dark") {
      vars["--ckl-bg"] = `hsl(${hue} ${sat}% ${12 + shade * 1.5}%)`;
      vars["--ckl-surface"] = `hsl(${hue} ${sat}% ${17 + shade * 1.5}%)`;
      vars["--ckl-surface-2"] = `hsl(${hue} ${sat}% ${22 + shade * 1.5}%)`;
      vars["--ckl-border"] = `hsl(${hue} ${sat}% ${28 + shade * 1.5}%)`;
      vars["--ckl-muted"] = `hsl(${hue} ${sat}% 68%)`;
    } else {
      vars["--ckl-bg"] = `hsl(${hue} ${sat}% ${100 - Math.max(0, shade) * 1.5}%)`;
      vars["--ckl-surface"] = `hsl(${hue} ${sat}% ${96 - shade * 1.5}%)`;
      vars["--ckl-surface-2"] = `hsl(${hue} ${sat}% ${92 - shade * 1.5}%)`;
      vars["--ckl-border"] = `hsl(${hue} ${sat}% ${86 - shade * 1.5}%)`;
      vars["--ckl-muted"] = `hsl(${hue} ${sat}% 40%)`;
    }
  }
  const surfaceColors = color?.surface;
  if (surfaceColors?.background) vars["--ckl-bg"] = surfaceColors.background;
  if (surfaceColors?.foreground) vars["--ckl-fg"] = surfaceColors.foreground;
  return vars;
}

/** Applies a theme to the root: data attributes for the scheme, variables for the rest. */
export function applyTheme(root: HTMLElement, theme: ThemeOption, scheme: ColorScheme, applied: Set<string>): Set<string> {
  root.dataset.colorScheme = scheme;
  root.dataset.radius = theme.radius ?? "pill";
  root.dataset.density = theme.density ?? "normal";
  root.style.colorScheme = scheme;
  const vars = themeVariables(theme, scheme);
  for (const name of applied) if (!(name in vars)) root.style.removeProperty(name);
  for (const [name, value] of Object.entries(vars)) root.style.setProperty(name, value);
  loadFonts(theme);
  return new Set(Object.keys(vars));
}

const loadedFonts = new Set<string>();

function loadFonts(theme: ThemeOption): void {
  const sources = theme.typography?.fontSources;
  if (!sources?.length || typeof FontFace === "undefined" || typeof document === "undefined") return;
  for (const source of sources) {
    const key = `${source.family}|${source.src}|${source.weight ?? ""}|${source.style ?? ""}`;
    if (loadedFonts.has(key)) continue;
    loadedFonts.add(key);
    try {
      const face = new FontFace(source.family, `url(${JSON.stringify(source.src)})`, {
        weight: source.weight !== undefined ? String(source.weight) : undefined,
        style: source.style,
        display: source.display,
        unicodeRange: source.unicodeRange,
      });
      (document.fonts as FontFaceSet & { add(face: FontFace): void }).add(face);
      face.load().catch(() => loadedFonts.delete(key));
    } catch {
      loadedFonts.delete(key);
    }
  }
}
