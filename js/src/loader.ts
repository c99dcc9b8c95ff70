// The `_esm` of every ChatKitWidget and WidgetView: a loader of about 1 kB. anywidget saves a
// model's `_esm` into the notebook with each model, so the real code (widget.js, view.js and
// their CSS) lives once per kernel in a shared `Code` model (chatkit_jupyter/widget/_bundle.py)
// that each view's `_code` trait points to. The loader reads it from there, imports it from a
// Blob URL once per page (keyed by its hash, so views of any kernel share one module and one
// stylesheet) and hands the view to it. A saved notebook holds each Code model once: reopened
// without a kernel, or drawn by the `--to chatkit` exporter, it loads from the saved state.

import { h } from "./render/dom";

interface CodeModel {
  get(key: "code" | "css" | "hash" | "parts"): unknown;
}

interface Manager {
  get_model(id: string): Promise<CodeModel> | CodeModel | undefined;
}

interface Ctx {
  model: {
    get(key: string): unknown;
    widget_manager?: Manager;
  };
  el: HTMLElement;
}

interface Entry {
  render(ctx: Ctx): unknown;
  /** Takes how to fetch a part of the bundle by name (`markdown`), loaded when first needed. */
  parts?(load: (name: string) => Promise<unknown>): void;
}

const KEY = Symbol.for("chatkit-jupyter.code");
type Store = Map<string, Promise<Record<string, unknown>>>;
const scope = globalThis as unknown as Record<symbol, Store | undefined>;
// On globalThis: each view's loader may be its own module instance (one per model in some hosts).
const modules: Store = scope[KEY] ?? new Map();
scope[KEY] = modules;

interface Styles {
  css: Map<string, string>;
  roots: Set<WeakRef<ShadowRoot>>;
}
const STYLES = Symbol.for("chatkit-jupyter.styles");
const styleScope = globalThis as unknown as Record<symbol, Styles | undefined>;
const styles: Styles = styleScope[STYLES] ?? { css: new Map(), roots: new Set() };
styleScope[STYLES] = styles;

function place(parent: ParentNode, hash: string, css: string): void {
  if (parent.querySelector(`style[data-chatkit-jupyter="${hash}"]`)) return;
  const style = h("style", { "data-chatkit-jupyter": hash });
  style.textContent = css;
  parent.append(style);
}

/** A stylesheet of the bundle, once per page: in <head> and in every shadow root a view is in. */
export function addStyle(hash: string, css: string): void {
  if (styles.css.has(hash)) return;
  styles.css.set(hash, css);
  place(document.head, hash, css);
  for (const ref of [...styles.roots]) {
    const root = ref.deref();
    if (root) place(root, hash, css);
    else styles.roots.delete(ref);
  }
}

/**
 * Gives a view drawn inside a shadow root (marimo draws each anywidget in one) the stylesheets,
 * which the page's <head> does not reach there; later ones (a part such as markdown) follow.
 * Menus and dialogs the views put on <body> keep the <head>'s.
 */
export function adoptStyles(el: Element): void {
  const root = el.getRootNode();
  if (!(root instanceof ShadowRoot)) return;
  if (![...styles.roots].some((ref) => ref.deref() === root)) styles.roots.add(new WeakRef(root));
  for (const [hash, css] of styles.css) place(root, hash, css);
}

/** The module in `code` (its namespace), imported once per page. */
function load(code: CodeModel): Promise<Record<string, unknown>> {
  const hash = String(code.get("hash"));
  let entry = modules.get(hash);
  if (!entry) {
    const css = code.get("css");
    if (typeof css === "string" && css) addStyle(hash, css);
    const url = URL.createObjectURL(new Blob([String(code.get("code"))], { type: "text/javascript" }));
    entry = import(/* @vite-ignore */ url) as Promise<Record<string, unknown>>;
    entry.finally(() => URL.revokeObjectURL(url)).catch(() => modules.delete(hash));
    modules.set(hash, entry);
  }
  return entry;
}

async function model(manager: Manager | undefined, ref: unknown): Promise<CodeModel> {
  const code = typeof ref === "string" && ref.startsWith("IPY_MODEL_") && manager ? await manager.get_model(ref.slice(10)) : undefined;
  if (!code) throw new Error("its code is not in this page (save the notebook with widget state, or re-run the cell)");
  return code;
}

async function render(ctx: Ctx): Promise<unknown> {
  try {
    const manager = ctx.model.widget_manager;
    const code = await model(manager, ctx.model.get("_code"));
    const entry = (await load(code)).default as Entry;
    adoptStyles(ctx.el);
    entry.parts?.(async (name) => {
      const parts = code.get("parts");
      const ref = parts && typeof parts === "object" ? (parts as Record<string, unknown>)[name] : undefined;
      return load(await model(manager, ref));
    });
    return await entry.render(ctx);
  } catch (error) {
    ctx.el.textContent = `chatkit-jupyter could not start this view: ${error instanceof Error ? error.message : String(error)}`;
    return undefined;
  }
}

export default { render };
