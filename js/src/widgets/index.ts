// The ChatKit widget renderer: turns a widget tree (Card | ListView | Basic) into DOM, reports
// actions to a host, and applies the server's widget updates in place.
//
//   const el = renderWidget(root, host);            // thread.item.done with a WidgetItem
//   updateWidget(el, newRoot, host);                // widget.root.updated
//   updateComponent(el, id, component, host);       // widget.component.updated
//   appendStreamingText(el, id, delta, done);       // widget.streaming_text.value_delta
import "./widgets.css";
import { h } from "../render/dom";
import { setMarkdown } from "../render/markdown";
import { ROOT_CLASS, hostOf, setHost, type WidgetHost } from "./actions";
import { linkLabels, listExpanders, markdownSource, renderNode } from "./components";
import type { AnyNode, ColorScheme, WidgetRoot, WidgetComponent } from "./types";

export type { WidgetHost } from "./actions";
export type {
  ActionConfig,
  AnyNode,
  BasicRoot,
  Card,
  Chart,
  ColorScheme,
  ListView,
  ListViewItem,
  ThemeColor,
  WidgetComponent,
  WidgetIcon,
  WidgetRoot,
} from "./types";
export { SUPPORTED_TYPES } from "./components";
export { CHATKIT_ICONS, createIcon } from "./icons";
export { resolveColor } from "./tokens";

/** The widget tree each rendered element shows now, with component updates and streamed text applied. */
const trees = new WeakMap<HTMLElement, AnyNode>();

function clone<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return JSON.parse(JSON.stringify(v ?? null)) as T;
  }
}

function schemeOf(host: WidgetHost): ColorScheme {
  return host.colorScheme === "dark" ? "dark" : "light";
}

function mount(el: HTMLElement, root: unknown, host: WidgetHost): void {
  const scheme = schemeOf(host);
  el.classList.add(ROOT_CLASS);
  el.setAttribute("data-color-scheme", scheme);
  setHost(el, host);
  const tree = (clone(root) ?? {}) as AnyNode;
  trees.set(el, tree);
  el.replaceChildren(renderNode(tree, { scheme, path: "" }));
  linkLabels(el);
}

/** Renders a widget root (Card, ListView or Basic) into a new element. */
export function renderWidget(root: WidgetRoot, host: WidgetHost): HTMLElement {
  const el = h("div");
  mount(el, root, host);
  return el;
}

/**
 * Replaces what `el` shows with `root`, keeping what the user was doing where the new tree allows:
 * focus and text selection, values typed into fields whose default did not change, scroll
 * positions, expanded lists and opened cards.
 */
export function updateWidget(el: HTMLElement, root: WidgetRoot, host: WidgetHost): void {
  preservingState(el, () => mount(el, root, host));
}

function findById(el: HTMLElement, id: string): HTMLElement | undefined {
  return Array.from(el.querySelectorAll<HTMLElement>("[data-ckw-id]")).find((e) => e.getAttribute("data-ckw-id") === id);
}

/** Calls `fn` on the node with `id` in `tree` (depth first). */
function withNode(tree: AnyNode, id: string, fn: (node: AnyNode, parent: unknown[] | AnyNode | null, key: number | string) => void): boolean {
  const visit = (node: unknown, parent: unknown[] | AnyNode | null, key: number | string): boolean => {
    if (typeof node !== "object" || node === null) return false;
    if (Array.isArray(node)) return node.some((child, i) => visit(child, node, i));
    const n = node as AnyNode;
    if (n.id === id) {
      fn(n, parent, key);
      return true;
    }
    return visit(n.children, n, "children");
  };
  return visit(tree, null, "");
}

/** Replaces the component with `componentId` (widget.component.updated). */
export function updateComponent(el: HTMLElement, componentId: string, component: WidgetComponent, host: WidgetHost): void {
  setHost(el, host);
  const target = findById(el, componentId);
  if (!target) {
    console.warn(`chatkit widget: no component with id "${componentId}" to update`);
    return;
  }
  const holder = target.parentElement?.closest<HTMLElement>("[data-color-scheme]");
  const scheme = (holder?.getAttribute("data-color-scheme") as ColorScheme | null) ?? schemeOf(host);
  const path = target.getAttribute("data-ckw-path") ?? "";
  const node = clone(component) as unknown as AnyNode;
  preservingState(el, () => {
    target.replaceWith(renderNode(node, { scheme: scheme === "dark" ? "dark" : "light", path }));
    linkLabels(el);
  });
  const tree = trees.get(el);
  if (tree) {
    if (tree.id === componentId) trees.set(el, clone(node));
    else
      withNode(tree, componentId, (_n, parent, key) => {
        if (parent) (parent as Record<string | number, unknown>)[key] = clone(node);
      });
  }
}

/** Appends streamed text to the Text or Markdown component with `componentId`. */
export function appendStreamingText(el: HTMLElement, componentId: string, delta: string, done: boolean): void {
  const target = findById(el, componentId);
  if (!target) return;
  const text = typeof delta === "string" ? delta : String(delta ?? "");
  if (target.getAttribute("data-ckw-type") === "Markdown") {
    const source = (markdownSource.get(target) ?? "") + text;
    markdownSource.set(target, source);
    setMarkdown(target, source);
  } else if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) {
    target.value += text;
  } else if (text) {
    target.append(document.createTextNode(text));
  }
  target.classList.toggle("ckw-streaming", !done);
  if (done) target.removeAttribute("aria-busy");
  else target.setAttribute("aria-busy", "true");
  const tree = trees.get(el);
  if (tree) withNode(tree, componentId, (n) => (n.value = (typeof n.value === "string" ? n.value : "") + text));
}

/** Re-renders `el` in another colour scheme (`{light, dark}` colours are resolved at render time). */
export function setWidgetColorScheme(el: HTMLElement, scheme: ColorScheme): void {
  const host = hostOf(el);
  const tree = trees.get(el);
  if (!host || !tree) return;
  const schemed: WidgetHost = { colorScheme: scheme, onAction: (action, meta) => host.onAction(action, meta) };
  preservingState(el, () => mount(el, tree, schemed));
}

// --- keeping UI state across re-renders ------------------------------------------------------

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
type FieldState = { value: string; checked: boolean; initial: string };

const FOCUSABLE = "input, select, textarea, button, [tabindex]";

function pathOf(node: Element): string | null {
  return node.closest("[data-ckw-path]")?.getAttribute("data-ckw-path") ?? null;
}

/** A key for a focusable or field: its component's path and its position inside it. */
function keyOf(node: Element): string | null {
  const holder = node.closest("[data-ckw-path]");
  if (!holder) return null;
  const siblings = Array.from(holder.querySelectorAll(FOCUSABLE)).filter((n) => n.closest("[data-ckw-path]") === holder);
  return `${holder.getAttribute("data-ckw-path")}#${node.tagName}#${siblings.indexOf(node)}`;
}

function initialOf(c: Control): string {
  if (c instanceof HTMLSelectElement) return Array.from(c.options).find((o) => o.defaultSelected)?.value ?? "";
  if (c instanceof HTMLInputElement && (c.type === "checkbox" || c.type === "radio")) return String(c.defaultChecked);
  return c.defaultValue;
}

function preservingState(scope: HTMLElement, rerender: () => void): void {
  const active = document.activeElement;
  const focusKey = active && active !== scope && scope.contains(active) ? keyOf(active) : null;
  let selection: [number, number] | null = null;
  if (active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement) {
    try {
      if (active.selectionStart !== null && active.selectionEnd !== null) selection = [active.selectionStart, active.selectionEnd];
    } catch {
      selection = null; // input types without a selection
    }
  }

  const fields = new Map<string, FieldState>();
  for (const c of Array.from(scope.querySelectorAll<Control>("input, select, textarea"))) {
    const key = keyOf(c);
    if (key) fields.set(key, { value: c.value, checked: (c as HTMLInputElement).checked === true, initial: initialOf(c) });
  }
  const scrolls = new Map<string, [number, number]>();
  for (const node of [scope, ...Array.from(scope.querySelectorAll<HTMLElement>("[data-ckw-path]"))]) {
    if (node.scrollTop || node.scrollLeft) scrolls.set(node === scope ? "" : (node.getAttribute("data-ckw-path") ?? ""), [node.scrollTop, node.scrollLeft]);
  }
  const expandedLists = new Set(
    Array.from(scope.querySelectorAll(".ckw-listview[data-ckw-expanded]")).map((n) => pathOf(n)),
  );
  const openCards = new Set(
    Array.from(scope.querySelectorAll(".ckw-card__toggle[aria-expanded=true]")).map((n) => pathOf(n)),
  );

  rerender();

  for (const list of Array.from(scope.querySelectorAll<HTMLElement>(".ckw-listview"))) {
    if (expandedLists.has(pathOf(list))) listExpanders.get(list)?.();
  }
  for (const toggle of Array.from(scope.querySelectorAll<HTMLButtonElement>(".ckw-card__toggle[aria-expanded=false]"))) {
    if (openCards.has(pathOf(toggle))) toggle.click();
  }
  for (const c of Array.from(scope.querySelectorAll<Control>("input, select, textarea"))) {
    const key = keyOf(c);
    const old = key ? fields.get(key) : undefined;
    // Keep what the user entered unless the server changed this field's starting value.
    if (!old || old.initial !== initialOf(c)) continue;
    if (c instanceof HTMLInputElement && (c.type === "checkbox" || c.type === "radio")) c.checked = old.checked;
    else c.value = old.value;
  }
  for (const [path, [top, left]] of scrolls) {
    const node = path === "" ? scope : Array.from(scope.querySelectorAll<HTMLElement>("[data-ckw-path]")).find((n) => n.getAttribute("data-ckw-path") === path);
    if (node) {
      node.scrollTop = top;
      node.scrollLeft = left;
    }
  }
  if (focusKey) {
    const target = Array.from(scope.querySelectorAll<HTMLElement>(FOCUSABLE)).find((n) => keyOf(n) === focusKey);
    if (target) {
      target.focus({ preventScroll: true });
      if (selection && (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement)) {
        try {
          target.setSelectionRange(selection[0], selection[1]);
        } catch {
          // not a text control
        }
      }
    }
  }
}
