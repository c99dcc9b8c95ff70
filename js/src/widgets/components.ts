// One renderer per ChatKit widget component. Every value is untrusted: text goes in through
// textContent, URLs through safeUrl, styles through the token resolver and safe.ts whitelists,
// class names only from fixed lists. A node that cannot be rendered becomes a small placeholder
// naming its type; nothing here throws on bad input.
import { activeElement, h } from "../render/dom";
import { setMarkdown } from "../render/md";
import { oneOf, safeImageUrl } from "../render/safe";
import { bindAction, boundAction, FIELD_ATTR, FORM_ATTR, fieldValue, fireAction, type LoadingTarget, sameForm } from "./actions";
import { renderChart } from "./chart";
import { createIcon } from "./icons";
import { type ColorRole, dimension, radius, resolveColor, spacing, spacingSides } from "./tokens";
import type { AnyNode, ColorScheme } from "./types";

export interface RenderContext {
  /** The colour scheme in force here, for `{light, dark}` colour pairs. */
  scheme: ColorScheme;
  /** Where the node sits in the tree (keys or indexes), to carry UI state across re-renders. */
  path: string;
  /** The thread's `allowed_image_domains`; images outside them are not loaded. */
  images?: readonly string[] | null;
}

type Rendered = HTMLElement | SVGElement;
type Renderer = (node: AnyNode, ctx: RenderContext) => Rendered;

/** Markdown sources of rendered Markdown components (for streaming appends). */
export const markdownSource = new WeakMap<Element, string>();

let uidCounter = 0;
export function uid(prefix: string): string {
  return `ckw-${prefix}-${++uidCounter}`;
}

// --- small helpers ---------------------------------------------------------------------------

function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "";
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function css(target: Rendered, prop: string, value: string | null | undefined): void {
  if (value !== null && value !== undefined && value !== "") target.style.setProperty(prop, value);
}

function positiveInt(v: unknown, max = 1000): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= 1 ? Math.min(Math.floor(v), max) : undefined;
}

/** `"first_name"` / `"todo.title"` -> `"first name"` / `"todo title"`, for fallback labels. */
function humanize(name: string): string {
  return name
    .replace(/[._-]+/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .trim()
    .toLowerCase();
}

function color(v: unknown, role: ColorRole, ctx: RenderContext): string | null {
  return resolveColor(v, role, ctx.scheme);
}

const ALIGN: Record<string, string> = { start: "flex-start", center: "center", end: "flex-end", baseline: "baseline", stretch: "stretch" };
const JUSTIFY: Record<string, string> = {
  start: "flex-start",
  center: "center",
  end: "flex-end",
  between: "space-between",
  around: "space-around",
  evenly: "space-evenly",
  stretch: "stretch",
};
const TEXT_ALIGN = ["start", "center", "end"] as const;
const WEIGHTS = ["normal", "medium", "semibold", "bold"] as const;
const CONTROL_SIZES = ["3xs", "2xs", "xs", "sm", "md", "lg", "xl", "2xl", "3xl"] as const;
const CONTROL_VARIANTS = ["solid", "soft", "outline", "ghost"] as const;

function flexValue(v: unknown): string | null {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? String(v) : null;
  if (typeof v !== "string") return null;
  const s = v.trim();
  return /^(auto|none|initial|\d+(\.\d+)?(\s+\d+(\.\d+)?)?(\s+(auto|0|\d+(\.\d+)?(px|%|rem|em)))?)$/.test(s) ? s : null;
}

function aspectRatio(v: unknown): string | null {
  if (typeof v === "number") return Number.isFinite(v) && v > 0 ? String(v) : null;
  if (typeof v !== "string") return null;
  const s = v.trim();
  return /^(auto|\d+(\.\d+)?(\s*\/\s*\d+(\.\d+)?)?)$/.test(s) ? s : null;
}

function applySpacing(target: Rendered, prop: "padding" | "margin", v: unknown): void {
  if (isObj(v)) {
    const sides = spacingSides(v);
    if (!sides) return;
    for (const side of ["top", "right", "bottom", "left"] as const) css(target, `${prop}-${side}`, sides[side]);
  } else css(target, prop, spacing(v));
}

const BORDER_STYLES = ["solid", "dashed", "dotted", "double", "groove", "ridge", "inset", "outset"] as const;

function borderValue(v: unknown, ctx: RenderContext): string | null {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? `${v}px solid var(--ckw-border-default)` : null;
  if (!isObj(v) || typeof v.size !== "number" || !Number.isFinite(v.size) || v.size < 0) return null;
  const style = oneOf(v.style, BORDER_STYLES) ?? "solid";
  const c = v.color === undefined ? "var(--ckw-border-default)" : color(v.color, "border", ctx);
  return c ? `${v.size}px ${style} ${c}` : null;
}

function applyBorder(target: Rendered, v: unknown, ctx: RenderContext): void {
  if (v === undefined || v === null) return;
  if (typeof v === "number" || (isObj(v) && "size" in v)) {
    css(target, "border", borderValue(v, ctx));
    return;
  }
  if (!isObj(v)) return;
  for (const side of ["top", "right", "bottom", "left"] as const) {
    const value = v[side] ?? v[side === "left" || side === "right" ? "x" : "y"];
    if (value !== undefined) css(target, `border-${side}`, borderValue(value, ctx));
  }
}

/** width/height/size, their min/max forms, aspect ratio, radius, margin, flex. */
function applyBlock(target: Rendered, n: AnyNode): void {
  const size = dimension(n.size);
  css(target, "width", dimension(n.width) ?? size);
  css(target, "height", dimension(n.height) ?? size);
  const minSize = dimension(n.minSize);
  css(target, "min-width", dimension(n.minWidth) ?? minSize);
  css(target, "min-height", dimension(n.minHeight) ?? minSize);
  const maxSize = dimension(n.maxSize);
  css(target, "max-width", dimension(n.maxWidth) ?? maxSize);
  css(target, "max-height", dimension(n.maxHeight) ?? maxSize);
  css(target, "aspect-ratio", aspectRatio(n.aspectRatio));
  css(target, "border-radius", radius(n.radius));
  if (n.margin !== undefined) applySpacing(target, "margin", n.margin);
  css(target, "flex", flexValue(n.flex));
}

/** Everything Box, Row, Col and Form share. */
function applyBox(target: HTMLElement, n: AnyNode, ctx: RenderContext): void {
  applyBlock(target, n);
  css(target, "align-items", ALIGN[str(n.align)]);
  css(target, "justify-content", JUSTIFY[str(n.justify)]);
  css(target, "flex-wrap", oneOf(n.wrap, ["nowrap", "wrap", "wrap-reverse"] as const));
  css(target, "gap", spacing(n.gap));
  if (n.padding !== undefined) applySpacing(target, "padding", n.padding);
  applyBorder(target, n.border, ctx);
  css(target, "background", color(n.background, "background", ctx));
}

/** color, weight, textAlign, truncate and maxLines of Title, Caption, Text and Label. */
function applyTextBase(target: HTMLElement, n: AnyNode, ctx: RenderContext): void {
  css(target, "color", color(n.color, "text", ctx));
  const weight = oneOf(n.weight, WEIGHTS);
  if (weight) target.classList.add(`ckw-weight-${weight}`);
  css(target, "text-align", oneOf(n.textAlign, TEXT_ALIGN));
  if (n.truncate === true) target.classList.add("ckw-truncate");
  const maxLines = positiveInt(n.maxLines, 100);
  if (maxLines) {
    target.classList.add("ckw-clamp");
    target.style.setProperty("--ckw-max-lines", String(maxLines));
  }
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  return isObj(v) ? [v] : [];
}

/**
 * Renders children with paths that name them: by `key`, else by `id`, else by position. A redraw
 * keeps the DOM node of every element whose path stays (see morph.ts), so a keyed item keeps its
 * node, focus and scroll when others are inserted before it.
 */
export function renderChildren(parent: Element, list: unknown, ctx: RenderContext): void {
  const seen = new Set<string>();
  children(list).forEach((child, i) => {
    if (child === null || child === undefined) return;
    const named = (v: unknown) => typeof v === "string" || typeof v === "number";
    let key = isObj(child) && named(child.key) ? `k${child.key}` : isObj(child) && named(child.id) ? `i${child.id}` : String(i);
    if (seen.has(key)) key = String(i); // a repeated key names nothing; fall back to the position
    seen.add(key);
    parent.append(renderNode(child, { ...ctx, path: `${ctx.path}/${key}` }));
  });
}

/** Applies a `theme` prop: the subtree gets its own colour scheme. */
function applyTheme(target: HTMLElement, n: AnyNode, ctx: RenderContext): RenderContext {
  const theme = oneOf(n.theme, ["light", "dark"] as const);
  if (!theme) return ctx;
  target.setAttribute("data-color-scheme", theme);
  return { ...ctx, scheme: theme };
}

function placeholder(type: string, reason = "Unsupported widget component"): HTMLElement {
  const e = h("div", "ckw-unknown");
  e.setAttribute("role", "note");
  e.textContent = type ? `${reason}: ${type}` : `${reason}`;
  return e;
}

/** A fallback accessible name, dropped again if a Label gets linked to the control. */
function fallbackLabel(control: HTMLElement, text: string): void {
  if (!text) return;
  control.setAttribute("aria-label", text);
  control.setAttribute("data-ckw-fallback-label", "");
}

function scheduleAutoFocus(control: HTMLElement, select: boolean): void {
  // Focus only once the widget is on the page, and never away from something the user is in
  // (a notebook cell editor, say).
  const run = () => {
    if (!control.isConnected) return;
    const active = activeElement();
    const root = control.closest(".ckw-root");
    if (active && active !== document.body && !root?.contains(active)) return;
    control.focus({ preventScroll: true });
    if (select && "select" in control) (control as HTMLInputElement).select();
  };
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(run);
  else setTimeout(run, 0);
}

// Form properties that code (ours, the host's, the browser's extensions') reads from a form.
const FORM_PROPERTIES_IN_USE = new Set(
  (
    "inert classList style children childNodes parentElement parentNode isConnected ownerDocument tagName " +
    "localName nodeName nodeType namespaceURI attributes elements id className dataset hidden " +
    "firstElementChild lastElementChild textContent innerHTML outerHTML length"
  ).split(" "),
);
let formMethods: Set<string> | null = null;

/** Names an `<input name>` must not take: they would shadow a method or used property of the form. */
function shadowsFormMember(name: string): boolean {
  if (!formMethods) {
    formMethods = new Set();
    for (let proto: object | null = HTMLFormElement.prototype; proto; proto = Object.getPrototypeOf(proto)) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        if (typeof Object.getOwnPropertyDescriptor(proto, key)?.value === "function") formMethods.add(key);
      }
    }
  }
  return formMethods.has(name) || FORM_PROPERTIES_IN_USE.has(name) || /^\d+$/.test(name);
}

/**
 * Sets a control's DOM `name` to its field name, unless the name would shadow a member of its
 * form (`<input name="querySelectorAll">` turns `form.querySelectorAll` into that input: DOM
 * clobbering). Values are collected through data-ckw-field, so nothing is lost without a name.
 */
function setDomName(control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, field: string): void {
  if (field && !shadowsFormMember(field)) control.name = field;
}

function markField(control: HTMLElement, name: unknown): string {
  const field = str(name);
  if (field) control.setAttribute(FIELD_ATTR, field);
  return field;
}

/**
 * Fires a control's onChangeAction with its own value (a Form adds all its values anyway).
 * Listeners read the action and field name when they fire, not when they were attached: a
 * redraw keeps the node and gives it the new ones (morph.ts).
 */
function bindChange(control: HTMLElement, owner: HTMLElement, action: unknown): void {
  bindAction(owner, action, "none");
  control.addEventListener("change", () => {
    const bound = boundAction(owner);
    if (!bound) return;
    const group = owner.getAttribute("role") === "radiogroup";
    const value = fieldValue(group ? owner : control);
    const field = (group ? owner.getAttribute("data-ckw-group") : control.getAttribute(FIELD_ATTR)) ?? "";
    void fireAction(bound, owner, control, field ? { [field]: value } : undefined);
  });
}

// --- layout ----------------------------------------------------------------------------------

function renderBox(kind: "row" | "col"): Renderer {
  return (n, ctx) => {
    const e = h("div", `ckw-box ckw-box--${kind}`);
    applyBox(e, n, ctx);
    renderChildren(e, n.children, ctx);
    return e;
  };
}

const renderBoxWithDirection: Renderer = (n, ctx) => renderBox(n.direction === "row" ? "row" : "col")(n, ctx);

const renderForm: Renderer = (n, ctx) => {
  const form = h("form", `ckw-form ckw-box ckw-box--${n.direction === "row" ? "row" : "col"}`);
  applyBox(form, n, ctx);
  bindAction(form, n.onSubmitAction, "container");
  attachSubmit(form);
  renderChildren(form, n.children, ctx);
  return form;
};

/** Remembers the submit button last pressed, for browsers without SubmitEvent.submitter. */
const lastSubmitter = new WeakMap<HTMLFormElement, HTMLElement>();

function attachSubmit(form: HTMLFormElement): void {
  form.setAttribute(FORM_ATTR, uid("form"));
  form.addEventListener("click", (e) => {
    const btn = (e.target as Element | null)?.closest?.("button[type=submit]");
    if (btn instanceof HTMLElement && sameForm(btn.closest("form"), form)) lastSubmitter.set(form, btn);
  });
  form.addEventListener("submit", (e) => {
    if (!sameForm(e.target as Element, form)) return; // a form nested inside handles its own submit
    e.preventDefault();
    const submitter = ((e as SubmitEvent).submitter as HTMLElement | null | undefined) ?? lastSubmitter.get(form) ?? null;
    lastSubmitter.delete(form);
    const own = boundAction(submitter);
    if (submitter && own) {
      void fireAction(own, submitter, submitter);
      return;
    }
    const formAction = boundAction(form);
    if (formAction) void fireAction(formAction, form, submitter ?? form);
  });
}

const renderSpacer: Renderer = (n) => {
  const e = h("div", "ckw-spacer");
  e.setAttribute("aria-hidden", "true");
  const min = dimension(n.minSize);
  css(e, "min-width", min);
  css(e, "min-height", min);
  return e;
};

const renderDivider: Renderer = (n, ctx) => {
  const e = h("hr", "ckw-divider");
  css(e, "border-top-color", color(n.color, "border", ctx));
  css(e, "border-top-width", dimension(n.size));
  const gap = spacing(n.spacing);
  css(e, "margin-top", gap);
  css(e, "margin-bottom", gap);
  if (n.flush === true) e.classList.add("ckw-flush");
  return e;
};

const renderTransition: Renderer = (n, ctx) => {
  const e = h("div", "ckw-transition");
  renderChildren(e, n.children, ctx);
  return e;
};

// --- text ------------------------------------------------------------------------------------

const TEXT_SIZES = ["xs", "sm", "md", "lg", "xl"] as const;

const renderText: Renderer = (n, ctx) => {
  const size = oneOf(n.size, TEXT_SIZES) ?? "md";
  if (isObj(n.editable)) {
    const ed = n.editable;
    const input = h("input", `ckw-text ckw-text--${size} ckw-text-input`);
    input.type = "text";
    const field = markField(input, ed.name);
    setDomName(input, field);
    input.setAttribute("value", str(n.value));
    if (typeof ed.placeholder === "string") input.placeholder = ed.placeholder;
    if (ed.required === true) input.required = true;
    if (typeof ed.pattern === "string") input.pattern = ed.pattern;
    if (typeof ed.autoComplete === "string") input.setAttribute("autocomplete", ed.autoComplete);
    else if (ed.allowAutofillExtensions !== true) input.setAttribute("autocomplete", "off"); // as Input does
    fallbackLabel(input, str(ed.placeholder) || humanize(field));
    applyTextBase(input, n, ctx);
    css(input, "width", dimension(n.width));
    if (ed.autoFocus === true) scheduleAutoFocus(input, ed.autoSelect === true);
    if (ed.autoSelect === true) input.addEventListener("focus", () => input.select());
    return input;
  }
  const p = h("p", `ckw-text ckw-text--${size}`);
  p.textContent = str(n.value);
  applyTextBase(p, n, ctx);
  if (n.italic === true) p.classList.add("ckw-italic");
  if (n.lineThrough === true) p.classList.add("ckw-line-through");
  css(p, "width", dimension(n.width));
  const minLines = positiveInt(n.minLines, 100);
  if (minLines) {
    p.style.setProperty("--ckw-min-lines", String(minLines));
    p.classList.add("ckw-min-lines");
  }
  return p;
};

const renderTitle: Renderer = (n, ctx) => {
  const size = oneOf(n.size, ["sm", "md", "lg", "xl", "2xl", "3xl", "4xl", "5xl"] as const) ?? "md";
  const title = h("h3", `ckw-title ckw-title--${size}`);
  title.textContent = str(n.value);
  applyTextBase(title, n, ctx);
  return title;
};

const renderCaption: Renderer = (n, ctx) => {
  const size = oneOf(n.size, ["sm", "md", "lg"] as const) ?? "md";
  const p = h("p", `ckw-caption ckw-caption--${size}`);
  p.textContent = str(n.value);
  applyTextBase(p, n, ctx);
  return p;
};

const renderMarkdownNode: Renderer = (n) => {
  const div = h("div", "ckw-markdown");
  const source = str(n.value);
  markdownSource.set(div, source);
  setMarkdown(div, source);
  return div;
};

const renderLabel: Renderer = (n, ctx) => {
  const label = h("label", "ckw-label");
  label.textContent = str(n.value);
  const size = oneOf(n.size, TEXT_SIZES);
  if (size) label.classList.add(`ckw-text--${size}`);
  applyTextBase(label, n, ctx);
  if (typeof n.fieldName === "string" && n.fieldName) label.setAttribute("data-ckw-for-field", n.fieldName);
  return label;
};

// --- content ---------------------------------------------------------------------------------

const renderBadge: Renderer = (n) => {
  const color = oneOf(n.color, ["secondary", "success", "danger", "warning", "info", "discovery"] as const) ?? "secondary";
  const variant = oneOf(n.variant, ["solid", "soft", "outline"] as const) ?? "soft";
  const size = oneOf(n.size, ["sm", "md", "lg"] as const) ?? "md";
  const b = h("span", `ckw-badge ckw-badge--${color} ckw-badge--${variant} ckw-badge--${size}`);
  if (n.pill === true) b.classList.add("ckw-pill");
  b.textContent = str(n.label);
  return b;
};

const ICON_SIZES = ["xs", "sm", "md", "lg", "xl", "2xl", "3xl"] as const;

const renderIcon: Renderer = (n, ctx) => {
  const size = oneOf(n.size, ICON_SIZES) ?? "md";
  const icon = createIcon(n.name, `ckw-icon ckw-icon--${size}`);
  css(icon, "color", color(n.color, "text", ctx));
  return icon;
};

const OBJECT_POSITIONS = ["top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right"] as const;

/**
 * What an Image shows when it has nothing to show (no safe source, or the load failed): a neutral
 * box of the same size with the alt text in it, never the browser's broken-image icon.
 */
function imageFallback(alt: string, className: string): HTMLElement {
  return h(
    "div",
    { class: `ckw-image ${className}`, role: "img", "aria-label": alt || "Image not available" },
    alt ? h("span", { class: "ckw-image__alt", "aria-hidden": "true", text: alt }) : null,
  );
}

function swapForFallback(img: HTMLImageElement, alt: string): void {
  // The error can come before the widget is in the document; swap wherever the image sits.
  if (!img.parentNode) return;
  const box = imageFallback(alt, "ckw-image--failed");
  box.style.cssText = img.style.cssText;
  for (const cls of ["ckw-image--frame", "ckw-flush"]) if (img.classList.contains(cls)) box.classList.add(cls);
  for (const attr of Array.from(img.attributes)) if (attr.name.startsWith("data-")) box.setAttribute(attr.name, attr.value);
  img.replaceWith(box);
}

const renderImage: Renderer = (n, ctx) => {
  const src = safeImageUrl(n.src, ctx.images);
  const alt = str(n.alt);
  let img: HTMLElement;
  if (src) {
    const i = h("img", "ckw-image ckw-image--loading");
    // The placeholder needs a size of its own only along axes the widget leaves open.
    if (n.width === undefined && n.size === undefined) i.classList.add("ckw-image--auto-width");
    if (n.height === undefined && n.size === undefined && n.aspectRatio === undefined) i.classList.add("ckw-image--auto-height");
    i.alt = alt;
    i.loading = "lazy";
    i.decoding = "async";
    i.referrerPolicy = "no-referrer";
    i.addEventListener("load", () => i.classList.remove("ckw-image--loading", "ckw-image--auto-width", "ckw-image--auto-height"), {
      once: true,
    });
    i.addEventListener("error", () => swapForFallback(i, alt), { once: true });
    i.src = src;
    img = i;
  } else {
    // An unsafe or missing source: keep the layout, load nothing from it.
    img = imageFallback(alt, "ckw-image--blocked");
  }
  applyBlock(img, n);
  css(img, "object-fit", oneOf(n.fit, ["cover", "contain", "fill", "scale-down", "none"] as const));
  css(img, "object-position", oneOf(n.position, OBJECT_POSITIONS));
  css(img, "background", color(n.background, "background", ctx));
  if (n.frame === true) img.classList.add("ckw-image--frame");
  if (n.flush === true) img.classList.add("ckw-flush");
  return img;
};

const BUTTON_COLORS = ["primary", "secondary", "info", "discovery", "success", "caution", "warning", "danger"] as const;

function buildButton(n: AnyNode, type: "button" | "submit"): HTMLButtonElement {
  const preset = n.style === "secondary" ? { color: "secondary", variant: "soft" } : { color: "primary", variant: "solid" };
  const colorName = oneOf(n.color, BUTTON_COLORS) ?? preset.color;
  const variant = oneOf(n.variant, CONTROL_VARIANTS) ?? preset.variant;
  const size = oneOf(n.size, CONTROL_SIZES) ?? "md";
  const b = h("button", `ckw-button ckw-button--${colorName} ckw-button--${variant} ckw-control--${size}`);
  b.type = type;
  if (n.pill === true) b.classList.add("ckw-pill");
  if (n.block === true) b.classList.add("ckw-button--block");
  if (n.uniform === true) b.classList.add("ckw-button--uniform");
  if (n.disabled === true) b.disabled = true;
  const iconSize = oneOf(n.iconSize, ["sm", "md", "lg", "xl", "2xl"] as const) ?? "md";
  if (n.iconStart) b.append(createIcon(n.iconStart, `ckw-icon ckw-icon--${iconSize}`));
  const label = str(n.label);
  if (label) {
    const span = h("span", "ckw-button__label");
    span.textContent = label;
    b.append(span);
  } else {
    const iconName = str(n.iconStart) || str(n.iconEnd);
    if (iconName) b.setAttribute("aria-label", humanize(iconName.replace(/^(lucide|vendor):/, "")));
  }
  if (n.iconEnd) b.append(createIcon(n.iconEnd, `ckw-icon ckw-icon--${iconSize}`));
  return b;
}

const renderButton: Renderer = (n) => {
  const b = buildButton(n, n.submit === true ? "submit" : "button");
  bindAction(b, n.onClickAction, "self");
  b.addEventListener("click", () => {
    if (b.type === "submit" && b.closest("form")) return; // the form's submit handler takes it
    const bound = boundAction(b);
    if (bound) void fireAction(bound, b);
  });
  return b;
};

// --- controls --------------------------------------------------------------------------------

function controlClasses(base: string, n: AnyNode, variants: readonly string[], fallbackVariant: string): string {
  const variant = oneOf(n.variant, variants) ?? fallbackVariant;
  const size = oneOf(n.size, CONTROL_SIZES) ?? "md";
  let cls = `${base} ckw-field ckw-field--${variant} ckw-control--${size}`;
  if (n.pill === true) cls += " ckw-pill";
  if (n.block === true) cls += " ckw-field--block";
  const gutter = oneOf(n.gutterSize, ["2xs", "xs", "sm", "md", "lg", "xl"] as const);
  if (gutter) cls += ` ckw-gutter--${gutter}`;
  return cls;
}

/** The attribute holding a Textarea's `pattern` (textareas have no native one). */
const PATTERN_ATTR = "data-ckw-pattern";

/** Marks `ta` invalid while its value does not match its pattern, as `<input pattern>` is. */
export function checkPattern(ta: HTMLTextAreaElement): void {
  const pattern = ta.getAttribute(PATTERN_ATTR);
  let ok = true;
  if (pattern && ta.value !== "") {
    try {
      ok = new RegExp(`^(?:${pattern})$`, "u").test(ta.value);
    } catch {
      ok = true; // a pattern the browser cannot compile is ignored, as for <input pattern>
    }
  }
  ta.setCustomValidity(ok ? "" : "Please match the requested format.");
}

const INPUT_TYPES = ["number", "email", "text", "password", "tel", "url"] as const;

const renderInput: Renderer = (n) => {
  const input = h("input", controlClasses("ckw-input", n, ["soft", "outline"], "outline"));
  input.type = oneOf(n.inputType, INPUT_TYPES) ?? "text";
  const field = markField(input, n.name);
  setDomName(input, field);
  if (n.defaultValue !== undefined && n.defaultValue !== null) input.setAttribute("value", str(n.defaultValue));
  if (typeof n.placeholder === "string") input.placeholder = n.placeholder;
  if (n.required === true) input.required = true;
  if (typeof n.pattern === "string") input.pattern = n.pattern;
  if (n.disabled === true) input.disabled = true;
  if (n.allowAutofillExtensions !== true) input.setAttribute("autocomplete", "off");
  fallbackLabel(input, str(n.placeholder) || humanize(field));
  if (n.autoFocus === true) scheduleAutoFocus(input, n.autoSelect === true);
  if (n.autoSelect === true) input.addEventListener("focus", () => input.select());
  return input;
};

const renderTextarea: Renderer = (n) => {
  const ta = h("textarea", controlClasses("ckw-textarea", n, ["soft", "outline"], "outline"));
  const field = markField(ta, n.name);
  setDomName(ta, field);
  ta.rows = positiveInt(n.rows, 100) ?? 3;
  if (n.defaultValue !== undefined && n.defaultValue !== null) ta.defaultValue = str(n.defaultValue);
  if (typeof n.placeholder === "string") ta.placeholder = n.placeholder;
  if (n.required === true) ta.required = true;
  if (n.disabled === true) ta.disabled = true;
  if (typeof n.pattern === "string" && n.pattern) ta.setAttribute(PATTERN_ATTR, n.pattern);
  // Read when it fires: a redraw that keeps this node may change the pattern.
  ta.addEventListener("input", () => checkPattern(ta));
  checkPattern(ta);
  if (n.allowAutofillExtensions !== true) ta.setAttribute("autocomplete", "off");
  if (n.autoResize === true) {
    ta.classList.add("ckw-textarea--autoresize");
    const maxRows = positiveInt(n.maxRows, 100);
    if (maxRows) ta.style.setProperty("--ckw-max-rows", String(maxRows));
  }
  fallbackLabel(ta, str(n.placeholder) || humanize(field));
  if (n.autoFocus === true) scheduleAutoFocus(ta, n.autoSelect === true);
  if (n.autoSelect === true) ta.addEventListener("focus", () => ta.select());
  return ta;
};

const renderSelect: Renderer = (n) => {
  const wrap = h("span", "ckw-select-wrap");
  if (n.block === true) wrap.classList.add("ckw-field--block");
  const select = h("select", controlClasses("ckw-select", n, CONTROL_VARIANTS, "outline"));
  const field = markField(select, n.name);
  setDomName(select, field);
  const defaultValue = n.defaultValue === undefined || n.defaultValue === null ? "" : str(n.defaultValue);
  const empty = h("option");
  empty.value = "";
  empty.textContent = str(n.placeholder);
  if (n.clearable !== true) empty.disabled = true;
  select.append(empty);
  let matched = false;
  for (const opt of Array.isArray(n.options) ? n.options : []) {
    if (!isObj(opt)) continue;
    const o = h("option");
    o.value = str(opt.value);
    o.textContent = str(opt.label) || str(opt.value);
    if (opt.disabled === true) o.disabled = true;
    if (typeof opt.description === "string") o.title = opt.description;
    if (o.value === defaultValue && defaultValue !== "" && !matched) {
      o.defaultSelected = true;
      matched = true;
    }
    select.append(o);
  }
  if (!matched) empty.defaultSelected = true;
  select.value = matched ? defaultValue : "";
  if (n.disabled === true) select.disabled = true;
  fallbackLabel(select, str(n.placeholder) || humanize(field));
  bindChange(select, select, n.onChangeAction);
  const chevron = createIcon("lucide:chevron-down", "ckw-icon ckw-icon--sm ckw-select-wrap__chevron");
  wrap.append(select, chevron);
  return wrap;
};

/** The date part of an ISO datetime (`2025-01-31T10:00:00Z` -> `2025-01-31`), if it has one. */
function isoDate(v: unknown): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(str(v));
  return m ? m[1]! : null;
}

const renderDatePicker: Renderer = (n) => {
  const input = h("input", controlClasses("ckw-input ckw-datepicker", n, CONTROL_VARIANTS, "outline"));
  input.type = "date";
  const field = markField(input, n.name);
  setDomName(input, field);
  const value = isoDate(n.defaultValue);
  if (value) input.setAttribute("value", value);
  const min = isoDate(n.min);
  const max = isoDate(n.max);
  if (min) input.min = min;
  if (max) input.max = max;
  if (n.disabled === true) input.disabled = true;
  if (typeof n.placeholder === "string") input.placeholder = n.placeholder;
  fallbackLabel(input, str(n.placeholder) || humanize(field));
  bindChange(input, input, n.onChangeAction);
  return input;
};

const renderCheckbox: Renderer = (n) => {
  const label = h("label", "ckw-checkbox");
  const box = h("input", "ckw-checkbox__input");
  box.type = "checkbox";
  const field = markField(box, n.name);
  setDomName(box, field);
  if (n.defaultChecked === true) box.defaultChecked = true;
  if (n.disabled === true) box.disabled = true;
  if (n.required === true) box.required = true;
  label.append(box);
  const text = str(n.label);
  if (text) {
    const span = h("span", "ckw-checkbox__label");
    span.textContent = text;
    label.append(span);
  } else fallbackLabel(box, humanize(field));
  bindChange(box, box, n.onChangeAction);
  return label;
};

const renderRadioGroup: Renderer = (n) => {
  const group = h("div", `ckw-radio-group ckw-radio-group--${n.direction === "row" ? "row" : "col"}`);
  group.setAttribute("role", "radiogroup");
  const field = str(n.name);
  group.setAttribute("aria-label", str(n.ariaLabel) || humanize(field));
  if (n.ariaLabel === undefined) group.setAttribute("data-ckw-fallback-label", "");
  group.setAttribute("data-ckw-group", field);
  if (n.required === true) group.setAttribute("aria-required", "true");
  if (n.disabled === true) group.setAttribute("aria-disabled", "true");
  // Radios group by DOM name across the whole document: give each group its own.
  const domName = uid("radio");
  const defaultValue = str(n.defaultValue);
  let first = true;
  for (const opt of Array.isArray(n.options) ? n.options : []) {
    if (!isObj(opt)) continue;
    const label = h("label", "ckw-radio");
    const radio = h("input", "ckw-radio__input");
    radio.type = "radio";
    radio.name = domName;
    radio.value = str(opt.value);
    if (field) radio.setAttribute(FIELD_ATTR, field);
    if (defaultValue !== "" && radio.value === defaultValue) radio.defaultChecked = true;
    if (opt.disabled === true || n.disabled === true) radio.disabled = true;
    if (n.required === true && first) radio.required = true;
    first = false;
    const span = h("span", "ckw-radio__label");
    span.textContent = str(opt.label) || radio.value;
    label.append(radio, span);
    group.append(label);
  }
  bindChange(group, group, n.onChangeAction);
  return group;
};

// --- table -----------------------------------------------------------------------------------

const renderTable: Renderer = (n, ctx) => {
  const wrap = h("div", "ckw-table-wrap");
  const table = h("table", "ckw-table");
  const head = h("thead");
  const body = h("tbody");
  children(n.children).forEach((row, ri) => {
    if (!isObj(row)) return;
    const rowCtx = { ...ctx, path: `${ctx.path}/${ri}` };
    if (row.type !== "Table.Row") {
      const tr = h("tr");
      const td = h("td");
      td.append(renderNode(row, rowCtx));
      tr.append(td);
      body.append(tr);
      return;
    }
    const tr = h("tr", "ckw-table__row");
    const header = row.header === true;
    children(row.children).forEach((cell, ci) => {
      const cellCtx = { ...rowCtx, path: `${rowCtx.path}/${ci}` };
      if (!isObj(cell) || cell.type !== "Table.Cell") {
        const td = h(header ? "th" : "td", "ckw-table__cell");
        td.append(renderNode(cell, cellCtx));
        tr.append(td);
        return;
      }
      const td = h(header ? "th" : "td", "ckw-table__cell");
      if (header) td.setAttribute("scope", "col");
      const colSpan = positiveInt(cell.colSpan);
      const rowSpan = positiveInt(cell.rowSpan);
      if (colSpan) td.colSpan = colSpan;
      if (rowSpan) td.rowSpan = rowSpan;
      css(td, "text-align", oneOf(cell.align, TEXT_ALIGN));
      const vAlign = oneOf(cell.vAlign, TEXT_ALIGN);
      css(td, "vertical-align", vAlign === "start" ? "top" : vAlign === "end" ? "bottom" : vAlign ? "middle" : undefined);
      css(td, "width", dimension(cell.width));
      if (cell.padding !== undefined) applySpacing(td, "padding", cell.padding);
      const colSize = oneOf(cell.colSize, ["xs", "sm", "md", "lg", "xl"] as const);
      if (colSize) td.classList.add(`ckw-table__cell--${colSize}`);
      if (typeof cell.id === "string") td.setAttribute("data-ckw-id", cell.id);
      td.setAttribute("data-ckw-type", "Table.Cell");
      renderChildren(td, cell.children, cellCtx);
      tr.append(td);
    });
    if (typeof row.id === "string") tr.setAttribute("data-ckw-id", row.id);
    tr.setAttribute("data-ckw-type", "Table.Row");
    (header && body.childElementCount === 0 ? head : body).append(tr);
  });
  if (head.childElementCount) table.append(head);
  table.append(body);
  wrap.append(table);
  return wrap;
};

// --- roots -----------------------------------------------------------------------------------

function renderStatus(status: unknown, ctx: RenderContext): HTMLElement | null {
  if (!isObj(status) || !str(status.text)) return null;
  const s = h("div", "ckw-status");
  if (typeof status.favicon === "string") {
    const src = safeImageUrl(status.favicon, ctx.images);
    if (src) {
      const img = h("img", "ckw-status__favicon");
      img.src = src;
      img.alt = "";
      img.referrerPolicy = "no-referrer";
      if (status.frame === true) img.classList.add("ckw-status__favicon--frame");
      s.append(img);
    }
  } else if (status.icon) {
    s.append(createIcon(status.icon, "ckw-icon ckw-icon--sm"));
  }
  const text = h("span", "ckw-status__text");
  text.textContent = str(status.text);
  s.append(text);
  return s;
}

const CARD_SIZES = ["sm", "md", "lg", "full"] as const;

const renderCard: Renderer = (n, ctx) => {
  const outer = h("div", "ckw-widget ckw-card-widget");
  const inner = applyTheme(outer, n, ctx);
  const status = renderStatus(n.status, ctx);
  if (status) outer.append(status);
  const asForm = n.asForm === true;
  const card = asForm ? h("form", "ckw-card ckw-form") : h("div", "ckw-card");
  card.classList.add(`ckw-card--${oneOf(n.size, CARD_SIZES) ?? "md"}`);
  css(card, "background", color(n.background, "background", inner));
  applyBorder(card, n.border, inner);
  if (n.padding !== undefined) {
    const sides = spacingSides(n.padding);
    if (sides) {
      // Flush children (Divider, Image) undo the padding through these variables.
      css(card, "--ckw-card-pt", sides.top);
      css(card, "--ckw-card-pr", sides.right);
      css(card, "--ckw-card-pb", sides.bottom);
      css(card, "--ckw-card-pl", sides.left);
    }
  }
  const body = h("div", "ckw-card__body");
  body.id = uid("card-body");
  renderChildren(body, n.children, inner);
  card.append(body);

  const footer = h("div", "ckw-card__footer");
  for (const [which, auto] of [
    ["cancel", "container"],
    ["confirm", "container"],
  ] as const) {
    const spec = n[which];
    if (!isObj(spec)) continue;
    const submit = asForm && which === "confirm";
    const b = buildButton(
      { label: str(spec.label) || (which === "confirm" ? "Confirm" : "Cancel"), style: which === "confirm" ? "primary" : "secondary" },
      submit ? "submit" : "button",
    );
    b.classList.add(`ckw-card__${which}`);
    bindAction(b, spec.action, auto as LoadingTarget);
    b.addEventListener("click", () => {
      if (b.type === "submit") return; // the form's submit handler takes it
      const bound = boundAction(b);
      if (bound) void fireAction(bound, b);
    });
    footer.append(b);
  }
  if (footer.childElementCount) card.append(footer);
  if (asForm) attachSubmit(card as HTMLFormElement);

  if (n.collapsed === true) {
    // Collapsed after its main action: the content stays reachable behind a toggle.
    card.classList.add("ckw-card--collapsed");
    const toggle = h("button", "ckw-card__toggle");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", body.id);
    toggle.textContent = "Show details";
    body.hidden = true;
    footer.hidden = true;
    toggle.addEventListener("click", () => setCardOpen(toggle, toggle.getAttribute("aria-expanded") !== "true"));
    card.prepend(toggle);
  }
  outer.append(card);
  return outer;
};

/** Opens or closes a collapsed Card's details (found from the toggle, so redraws may swap them). */
export function setCardOpen(toggle: HTMLElement, open: boolean): void {
  const card = toggle.closest(".ckw-card");
  toggle.setAttribute("aria-expanded", String(open));
  toggle.textContent = open ? "Hide details" : "Show details";
  for (const part of Array.from(card?.children ?? [])) {
    if (part.classList.contains("ckw-card__body") || part.classList.contains("ckw-card__footer")) (part as HTMLElement).hidden = !open;
  }
}

function isInteractive(target: Element, container: Element): boolean {
  const hit = target.closest("button, a[href], input, select, textarea, label, [role=button], [role=radiogroup]");
  return hit !== null && hit !== container && container.contains(hit);
}

const renderListViewItem: Renderer = (n, ctx) => {
  const li = h("li", "ckw-list-item");
  const content = h("div", "ckw-list-item__content");
  css(content, "gap", spacing(n.gap));
  css(content, "align-items", ALIGN[str(n.align)]);
  renderChildren(content, n.children, ctx);
  if (bindAction(content, n.onClickAction, "self")) {
    content.classList.add("ckw-list-item__content--action");
    content.setAttribute("role", "button");
    content.tabIndex = 0;
  }
  // Listening always (and checking for an action when it fires) lets a redraw add one.
  content.addEventListener("click", (e) => {
    const bound = boundAction(content);
    if (bound && !isInteractive(e.target as Element, content)) void fireAction(bound, content);
  });
  content.addEventListener("keydown", (e) => {
    const bound = boundAction(content);
    if (!bound || e.target !== content || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault();
    void fireAction(bound, content);
  });
  li.append(content);
  return li;
};

const renderListView: Renderer = (n, ctx) => {
  const outer = h("div", "ckw-widget ckw-listview");
  const inner = applyTheme(outer, n, ctx);
  const status = renderStatus(n.status, ctx);
  if (status) outer.append(status);
  const list = h("ul", "ckw-list");
  list.setAttribute("role", "list");
  list.id = uid("list");
  renderChildren(list, n.children, inner);
  // Only list items belong in a list: wrap anything else the tree put there.
  for (const child of Array.from(list.children)) {
    if (child.tagName !== "LI") {
      const li = h("li", "ckw-list-item");
      child.replaceWith(li);
      li.append(child);
    }
  }
  outer.append(list);
  const limit = positiveInt(n.limit, 10_000);
  const items = Array.from(list.children) as HTMLElement[];
  if (limit && items.length > limit) {
    const hidden = items.slice(limit);
    for (const item of hidden) item.hidden = true;
    const more = h("button", "ckw-listview__more");
    more.type = "button";
    more.textContent = `Show more (${hidden.length})`;
    more.setAttribute("aria-controls", list.id);
    more.addEventListener("click", () => {
      const listView = more.closest<HTMLElement>(".ckw-listview");
      if (listView) expandList(listView, true);
    });
    outer.append(more);
  }
  return outer;
};

/**
 * Shows the items a ListView holds back (its `limit`) and drops the "Show more" button; with
 * `moveFocus`, focus goes to the first item revealed (the button it was on is gone).
 */
export function expandList(listView: HTMLElement, moveFocus: boolean): void {
  const list = Array.from(listView.children).find((c) => c.classList.contains("ckw-list"));
  const revealed = Array.from(list?.children ?? []).filter((item) => (item as HTMLElement).hidden) as HTMLElement[];
  for (const item of revealed) item.hidden = false;
  listView.setAttribute("data-ckw-expanded", "");
  Array.from(listView.children)
    .find((c) => c.classList.contains("ckw-listview__more"))
    ?.remove();
  if (moveFocus) revealed[0]?.querySelector<HTMLElement>("[tabindex='0'], button, input, select, textarea")?.focus({ preventScroll: true });
}

const renderBasic: Renderer = (n, ctx) => {
  const e = h("div", `ckw-widget ckw-basic ckw-box ckw-box--${n.direction === "row" ? "row" : "col"}`);
  const inner = applyTheme(e, n, ctx);
  css(e, "gap", spacing(n.gap));
  if (n.padding !== undefined) applySpacing(e, "padding", n.padding);
  css(e, "align-items", ALIGN[str(n.align)]);
  css(e, "justify-content", JUSTIFY[str(n.justify)]);
  renderChildren(e, n.children, inner);
  return e;
};

const renderChartNode: Renderer = (n, ctx) => {
  const chart = renderChart(n, ctx.scheme);
  applyBlock(chart, n);
  return chart;
};

const RENDERERS: Record<string, Renderer> = {
  Basic: renderBasic,
  Card: renderCard,
  ListView: renderListView,
  ListViewItem: renderListViewItem,
  Box: renderBoxWithDirection,
  Row: renderBox("row"),
  Col: renderBox("col"),
  Form: renderForm,
  Spacer: renderSpacer,
  Divider: renderDivider,
  Transition: renderTransition,
  Title: renderTitle,
  Caption: renderCaption,
  Text: renderText,
  Markdown: renderMarkdownNode,
  Label: renderLabel,
  Badge: renderBadge,
  Icon: renderIcon,
  Image: renderImage,
  Button: renderButton,
  Input: renderInput,
  Textarea: renderTextarea,
  Select: renderSelect,
  DatePicker: renderDatePicker,
  Checkbox: renderCheckbox,
  RadioGroup: renderRadioGroup,
  Table: renderTable,
  Chart: renderChartNode,
};

/** The component types this renderer draws (anything else gets a placeholder). */
export const SUPPORTED_TYPES: readonly string[] = Object.keys(RENDERERS);

/** Renders any widget node; never throws. */
export function renderNode(node: unknown, ctx: RenderContext): Rendered {
  if (!isObj(node)) return placeholder(typeof node, "Invalid widget component");
  const type = typeof node.type === "string" ? node.type : "";
  const renderer = Object.hasOwn(RENDERERS, type) ? RENDERERS[type] : undefined;
  let out: Rendered;
  try {
    out = renderer ? renderer(node, ctx) : placeholder(type || "(no type)");
  } catch (err) {
    console.warn(`chatkit widget: could not render ${type}`, err);
    out = placeholder(type, "Could not render widget component");
  }
  out.setAttribute("data-ckw-type", type);
  out.setAttribute("data-ckw-path", ctx.path);
  if (typeof node.id === "string" && node.id) out.setAttribute("data-ckw-id", node.id);
  return out;
}

/**
 * Points each Label at the field it names (within the same Form, else the same widget), giving
 * the field an id if it has none. A linked field drops its fallback aria-label.
 */
export function linkLabels(scope: Element): void {
  for (const label of Array.from(scope.querySelectorAll<HTMLLabelElement>("label.ckw-label[data-ckw-for-field]"))) {
    const name = label.getAttribute("data-ckw-for-field")!;
    const within = label.closest("form") ?? label.closest(".ckw-root") ?? scope;
    const group = Array.from(within.querySelectorAll<HTMLElement>("[data-ckw-group]")).find(
      (g) => g.getAttribute("data-ckw-group") === name,
    );
    const field = Array.from(within.querySelectorAll<HTMLElement>(`[${FIELD_ATTR}]`)).find(
      (f) => f.getAttribute(FIELD_ATTR) === name && !(f instanceof HTMLInputElement && f.type === "radio"),
    );
    if (group && !field) {
      if (!label.id) label.id = uid("label");
      group.setAttribute("aria-labelledby", label.id);
      if (group.hasAttribute("data-ckw-fallback-label")) group.removeAttribute("aria-label");
      continue;
    }
    if (!field) continue;
    if (!field.id) field.id = uid("field");
    label.htmlFor = field.id;
    if (field.hasAttribute("data-ckw-fallback-label")) {
      field.removeAttribute("aria-label");
      field.removeAttribute("data-ckw-fallback-label");
    }
  }
}
