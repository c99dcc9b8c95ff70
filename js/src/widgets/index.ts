// The ChatKit widget renderer: turns a widget tree (Card | ListView | Basic) into DOM, reports
// actions to a host, and applies the server's widget updates in place.
//
//   const el = renderWidget(root, host);            // thread.item.done with a WidgetItem
//   updateWidget(el, newRoot, host);                // widget.root.updated
//   updateComponent(el, id, component, host);       // widget.component.updated
//   appendStreamingText(el, id, delta, done);       // widget.streaming_text.value_delta
import "./widgets.css";
import { h } from "../render/dom";
import { setMarkdown } from "../render/md";
import { hostOf, ROOT_CLASS, setHost, type WidgetHost } from "./actions";
import { linkLabels, markdownSource, renderNode } from "./components";
import { morphChildren, morphElement } from "./morph";
import type { AnyNode, ColorScheme, WidgetComponent, WidgetRoot } from "./types";

export type { WidgetHost } from "./actions";
export { SUPPORTED_TYPES } from "./components";
export { addIconSource, addIcons, CHATKIT_ICONS, createIcon, type IconSource } from "./icons";
export { resolveColor } from "./tokens";
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

/** Draws `root` into `el`: the first time from scratch, later by morphing in place. */
function mount(el: HTMLElement, root: unknown, host: WidgetHost): void {
  const scheme = schemeOf(host);
  el.classList.add(ROOT_CLASS);
  el.setAttribute("data-color-scheme", scheme);
  setHost(el, host);
  const tree = (clone(root) ?? {}) as AnyNode;
  const first = !trees.has(el);
  trees.set(el, tree);
  const next = h("div");
  next.append(renderNode(tree, { scheme, path: "", images: host.allowedImageDomains }));
  linkLabels(next);
  if (first) el.replaceChildren(...Array.from(next.childNodes));
  else morphChildren(el, next);
}

/** Renders a widget root (Card, ListView or Basic) into a new element. */
export function renderWidget(root: WidgetRoot, host: WidgetHost): HTMLElement {
  const el = h("div");
  mount(el, root, host);
  return el;
}

/**
 * Replaces what `el` shows with `root`, in place: elements whose component path stays (children
 * are named by `key`, then `id`, then position) keep their DOM node, so focus, caret, typed values
 * (unless the server changed that field's default), scroll positions, expanded lists and opened
 * cards stay as the user left them.
 */
export function updateWidget(el: HTMLElement, root: WidgetRoot, host: WidgetHost): void {
  mount(el, root, host);
}

function findById(el: HTMLElement, id: string): HTMLElement | undefined {
  return Array.from(el.querySelectorAll<HTMLElement>("[data-ckw-id]")).find((e) => e.getAttribute("data-ckw-id") === id);
}

/** Calls `fn` on the node with `id` in `tree` (depth first). */
function withNode(
  tree: AnyNode,
  id: string,
  fn: (node: AnyNode, parent: unknown[] | AnyNode | null, key: number | string) => void,
): boolean {
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
  const images = host.allowedImageDomains;
  morphElement(target, renderNode(node, { scheme: scheme === "dark" ? "dark" : "light", path, images }));
  linkLabels(el);
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
  const schemed: WidgetHost = {
    colorScheme: scheme,
    onAction: (action, meta) => host.onAction(action, meta),
    // A thread's image list still holds: a repaint must not load what the first paint refused.
    get allowedImageDomains() {
      return host.allowedImageDomains;
    },
  };
  mount(el, tree, schemed);
  setHost(el, host); // the scheme was for this paint; actions and later paints keep the host
}
