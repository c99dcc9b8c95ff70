// Redraws a rendered widget in place: the new tree is rendered detached, then morphed into the
// one on screen with morphdom, so every element whose component path stays (see renderChildren:
// paths name children by `key`, then `id`, then position) keeps its DOM node, and with it focus,
// caret, typed text, scroll and any transition. A card can be redrawn 30 times a second while the
// user types into it.
//
// Why morphdom and not idiomorph: morphdom takes a key function, so we match on our component
// paths; idiomorph matches only on DOM `id`s, which a widget shown twice in a page cannot use.
// It is also the smaller of the two (about 2 kB gzipped against 4 kB).
//
// Listeners stay on the kept nodes. They read what they act on when they fire (the action bound
// to their element, its field name, the card or list around them), so the morph only has to hand
// each kept node the new action (adoptAction) and carry over what only the old DOM knows: values
// the user typed (unless the server changed that field's default), an expanded list, an opened
// card, a running action's loading state.
import morphdom from "morphdom";
import { activeElement } from "../render/dom";

import { adoptAction, copyLoading } from "./actions";
import { checkPattern, expandList, markdownSource, setCardOpen } from "./components";

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** The key morphdom matches elements on: the component path, with type and tag. */
function keyOf(node: Node): string | undefined {
  if (node.nodeType !== 1) return undefined;
  const el = node as Element;
  const path = el.getAttribute("data-ckw-path");
  return path === null ? undefined : `${el.getAttribute("data-ckw-type")}|${el.tagName}|${path}`;
}

/** A control's starting value as the widget tree gave it (not what the user typed). */
function initialOf(c: Control): string {
  if (c instanceof HTMLSelectElement) return Array.from(c.options).find((o) => o.defaultSelected)?.value ?? "";
  if (c instanceof HTMLInputElement && (c.type === "checkbox" || c.type === "radio")) return String(c.defaultChecked);
  return c.defaultValue;
}

function isControl(el: Element): el is Control {
  return el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement;
}

/**
 * Morphs the children of `target` into those of `next`, a detached element holding the new render;
 * `target` keeps its own attributes (the host, a container loading state).
 */
export function morphChildren(target: HTMLElement, next: HTMLElement): void {
  morphWith(target, next, true);
}

/** Morphs `target` itself into `next` (a component update); returns the node now on screen. */
export function morphElement(target: Element, next: Element): Node {
  if (keyOf(target) !== keyOf(next)) {
    // Another component in its place: morphdom would rebuild it without the new node's listeners.
    target.replaceWith(next);
    return next;
  }
  return morphWith(target, next, false);
}

function morphWith(target: Element, next: Element, childrenOnly: boolean): Node {
  const restore: Array<() => void> = [keepFocus(target)];
  const out = morphdom(target, next, {
    childrenOnly,
    getNodeKey: keyOf,
    onBeforeElUpdated(from, to) {
      if (from.isEqualNode(to)) {
        // Same markup (a list row that did not change, say): skip it, but its actions live
        // outside the markup and may have changed.
        adoptTree(from, to);
        return false;
      }
      adoptState(from, to);
      copyLoading(from, to);
      // Through the style object, not the attribute: some DOMs (happy-dom) keep a stale
      // CSSStyleDeclaration when only the attribute changes.
      if (from.getAttribute("style") !== to.getAttribute("style")) from.style.cssText = to.style.cssText;
      if (from.classList.contains("ckw-listview") && from.hasAttribute("data-ckw-expanded")) expandList(to, false);
      if (
        from.classList.contains("ckw-card__toggle") &&
        from.getAttribute("aria-expanded") === "true" &&
        to.getAttribute("aria-expanded") === "false"
      ) {
        setCardOpen(to, true);
      }
      if (isControl(from) && isControl(to) && initialOf(from) === initialOf(to)) keepUserValue(from, to, restore);
      if (from instanceof HTMLTextAreaElement) restore.push(() => checkPattern(from)); // the pattern may have changed
      return true;
    },
  });
  for (const fn of restore) fn();
  return out;
}

/**
 * Puts focus (and caret) back on the element that had it, if the morph moved that element: a
 * keyed item that changes place is moved with insertBefore, and the browser blurs a node it moves.
 */
function keepFocus(target: Element): () => void {
  const active = target.ownerDocument.activeElement;
  if (!(active instanceof HTMLElement) || !target.contains(active)) return () => undefined;
  const text = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement;
  let selection: [number | null, number | null, "forward" | "backward" | "none" | null] | null = null;
  try {
    if (text) selection = [active.selectionStart, active.selectionEnd, active.selectionDirection];
  } catch {
    selection = null; // inputs without a caret (number, date) throw on selectionStart
  }
  return () => {
    if (!active.isConnected || !target.contains(active) || active.ownerDocument.activeElement === active) return;
    active.focus({ preventScroll: true });
    if (selection && selection[0] !== null && selection[1] !== null && text)
      active.setSelectionRange(selection[0], selection[1], selection[2] ?? undefined);
  };
}

function adoptState(kept: Element, fresh: Element): void {
  adoptAction(kept, fresh);
  const source = markdownSource.get(fresh);
  if (source !== undefined) markdownSource.set(kept, source);
  else markdownSource.delete(kept);
}

/** adoptState over two trees of equal markup, node by node. */
function adoptTree(kept: Element, fresh: Element): void {
  adoptState(kept, fresh);
  const a = kept.children;
  const b = fresh.children;
  for (let i = 0; i < a.length && i < b.length; i++) adoptTree(a[i]!, b[i]!);
}

/**
 * Keeps what the user entered in `from` (the node that stays) unless the server changed this
 * field's starting value. Inputs take the value before the morph (no caret jump); selects and
 * textareas are set back after it, since morphdom resets them from their markup.
 */
function keepUserValue(from: Control, to: Control, restore: Array<() => void>): void {
  if (from instanceof HTMLInputElement && to instanceof HTMLInputElement) {
    if (from.type === "checkbox" || from.type === "radio") to.checked = from.checked;
    else if (from.type === to.type) to.value = from.value;
    return;
  }
  const value = from.value;
  const selection =
    from instanceof HTMLTextAreaElement ? ([from.selectionStart, from.selectionEnd, from.selectionDirection] as const) : null;
  restore.push(() => {
    if (from.value === value) return;
    from.value = value;
    if (selection && from instanceof HTMLTextAreaElement && activeElement() === from)
      from.setSelectionRange(selection[0], selection[1], selection[2] ?? undefined);
  });
}
