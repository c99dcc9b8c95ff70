// Widget actions: which host a rendered widget reports to, what values a Form adds to an action's
// payload, and the loading state shown while the host handles it.
//
// Behaviour follows ChatKit's docs ("Actions in ChatKit"): values of the fields inside a Form go
// into the payload of every action that starts inside that Form, keyed by field name, with dotted
// names nested (`todo.title` -> payload.todo.title); a key the payload already has wins over the
// form value. loadingBehavior "auto" means `self` for buttons and list items, `container` for form
// submits and Card confirm/cancel, and `none` for change events of selects, checkboxes and the like.
import type { ActionConfig } from "./types";

export interface WidgetHost {
  /** An action fired by a button/form/select/etc. `formData` holds a Form's named field values. */
  onAction(action: ActionConfig, meta: { formData?: Record<string, unknown>; source: HTMLElement }): Promise<void> | void;
  colorScheme: "light" | "dark";
  /** ChatKit's `allowed_image_domains` of the thread: when a non-empty list, Image and favicon
   * sources outside these domains are not loaded (see `safeImageUrl`). */
  allowedImageDomains?: readonly string[] | null;
}

export type LoadingTarget = "self" | "container" | "none";

/** The class on the element `renderWidget` returns; actions find their host through it. */
export const ROOT_CLASS = "ckw-root";

const hosts = new WeakMap<Element, WidgetHost>();

export function setHost(root: HTMLElement, host: WidgetHost): void {
  hosts.set(root, host);
}

export function hostOf(root: Element): WidgetHost | undefined {
  return hosts.get(root);
}

/** An action bound to an element, with the loading behaviour "auto" stands for there. */
export interface BoundAction {
  action: ActionConfig;
  auto: LoadingTarget;
}

const bound = new WeakMap<Element, BoundAction>();

export function bindAction(el: Element, action: unknown, auto: LoadingTarget): ActionConfig | null {
  const config = normalizeAction(action);
  if (config) bound.set(el, { action: config, auto });
  return config;
}

export function boundAction(el: Element | null | undefined): BoundAction | undefined {
  return el ? bound.get(el) : undefined;
}

/**
 * Gives `kept` the action bound to `fresh`, or none: a redraw that keeps a DOM node (morph.ts)
 * keeps its listeners, which look the action up when they fire.
 */
export function adoptAction(kept: Element, fresh: Element): void {
  const b = bound.get(fresh);
  if (b) bound.set(kept, b);
  else bound.delete(kept);
}

/** Whether `el` shows a `self` loading state (an action it fired is still running). */
export function isLoading(el: Element): boolean {
  return el.classList.contains("ckw-loading");
}

/** Carries a running action's `self` loading state over to the element that will replace it. */
export function copyLoading(from: Element, to: Element): void {
  if (!isLoading(from)) return;
  to.classList.add("ckw-loading");
  to.setAttribute("aria-busy", "true");
  to.setAttribute("aria-disabled", "true");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A copy of a widget's ActionConfig, or null when it has no usable `type`. */
export function normalizeAction(action: unknown): ActionConfig | null {
  if (!isPlainObject(action) || typeof action.type !== "string" || action.type === "") return null;
  const out: ActionConfig = { type: action.type };
  if (isPlainObject(action.payload)) out.payload = { ...action.payload };
  else if (action.payload !== undefined && action.payload !== null) out.payload = jsonCopy(action.payload);
  if (action.handler === "client" || action.handler === "server") out.handler = action.handler;
  const lb = action.loadingBehavior;
  if (lb === "auto" || lb === "none" || lb === "self" || lb === "container") out.loadingBehavior = lb;
  if (typeof action.streaming === "boolean") out.streaming = action.streaming;
  return out;
}

function jsonCopy(v: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(v)) as unknown;
  } catch {
    return undefined;
  }
}

// Keys that would reach Object.prototype if used as field names.
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function setPath(target: Record<string, unknown>, name: string, value: unknown): void {
  const parts = name.split(".").filter((p) => p !== "");
  if (parts.length === 0 || parts.some((p) => UNSAFE_KEYS.has(p))) return;
  let obj = target;
  for (const part of parts.slice(0, -1)) {
    const next = obj[part];
    if (!isPlainObject(next)) obj[part] = {};
    obj = obj[part] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1]!] = value;
}

/** The attribute holding a control's field name (radios need unique DOM names, so not `name`). */
export const FIELD_ATTR = "data-ckw-field";

/** The value of one field control, as it goes into a payload. */
export function fieldValue(el: Element): unknown {
  if (el instanceof HTMLInputElement) {
    if (el.type === "checkbox") return el.checked;
    if (el.type === "radio") return el.checked ? el.value : undefined;
    if (el.type === "date") return el.value === "" ? null : el.value;
    return el.value;
  }
  if (el instanceof HTMLSelectElement) return el.value === "" ? null : el.value;
  if (el instanceof HTMLTextAreaElement) return el.value;
  if (el.getAttribute("role") === "radiogroup") {
    const checked = el.querySelector<HTMLInputElement>("input[type=radio]:checked");
    return checked ? checked.value : null;
  }
  return undefined;
}

/** The attribute that tells our forms apart (compared by value: some DOMs proxy form elements). */
export const FORM_ATTR = "data-ckw-form";

/** Whether `a` and `b` are the same one of our forms. */
export function sameForm(a: Element | null | undefined, b: Element | null | undefined): boolean {
  const id = a?.getAttribute(FORM_ATTR);
  return !!id && id === b?.getAttribute(FORM_ATTR);
}

/** The named values of the enabled fields that belong to `form` (not to a form nested in it). */
export function collectFormValues(form: HTMLFormElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const el of Array.from(form.querySelectorAll(`[${FIELD_ATTR}]`))) {
    if (!sameForm(el.closest("form"), form)) continue;
    if ((el as HTMLInputElement).disabled) continue;
    const name = el.getAttribute(FIELD_ATTR);
    if (!name) continue;
    if (el instanceof HTMLInputElement && el.type === "radio") {
      // A radio group gives its checked value, or null when none is checked.
      if (el.checked) setPath(out, name, el.value);
      else if (!hasPath(out, name)) setPath(out, name, null);
      continue;
    }
    const value = fieldValue(el);
    if (value !== undefined) setPath(out, name, value);
  }
  return out;
}

function hasPath(obj: Record<string, unknown>, name: string): boolean {
  let cur: unknown = obj;
  for (const part of name.split(".").filter(Boolean)) {
    if (!isPlainObject(cur) || !(part in cur)) return false;
    cur = cur[part];
  }
  return true;
}

/** Merges field values into a payload; where both have a key, the payload's value is kept. */
export function mergePayload(payload: unknown, values: Record<string, unknown> | undefined, actionType: string): unknown {
  if (!values || Object.keys(values).length === 0) return payload;
  if (payload !== undefined && payload !== null && !isPlainObject(payload)) {
    console.warn(`chatkit widget: the payload of action "${actionType}" is not an object, so the form's values are not added to it.`);
    return payload;
  }
  const merge = (base: Record<string, unknown>, extra: Record<string, unknown>, prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(extra)) {
      if (!(k in out)) out[k] = v;
      else if (isPlainObject(out[k]) && isPlainObject(v)) out[k] = merge(out[k] as Record<string, unknown>, v, `${prefix}${k}.`);
      else
        console.warn(
          `chatkit widget: form field "${prefix}${k}" collides with a payload key of action "${actionType}"; the payload's value is kept.`,
        );
    }
    return out;
  };
  return merge(isPlainObject(payload) ? payload : {}, values, "");
}

function startLoading(target: LoadingTarget, self: HTMLElement, root: HTMLElement): () => void {
  if (target === "none") return () => undefined;
  if (target === "container") {
    root.classList.add("ckw-root--loading");
    root.setAttribute("aria-busy", "true");
    root.inert = true; // ChatKit fades the widget and makes it inert
    return () => {
      root.classList.remove("ckw-root--loading");
      root.removeAttribute("aria-busy");
      root.inert = false;
    };
  }
  self.classList.add("ckw-loading");
  self.setAttribute("aria-busy", "true");
  self.setAttribute("aria-disabled", "true");
  return () => {
    self.classList.remove("ckw-loading");
    self.removeAttribute("aria-busy");
    self.removeAttribute("aria-disabled");
  };
}

function isBusy(el: HTMLElement, root: HTMLElement): boolean {
  return root.classList.contains("ckw-root--loading") || el.getAttribute("aria-busy") === "true";
}

/**
 * Sends `bound.action` to the widget's host. `owner` is the element the action is bound to (the
 * one that shows a `self` loading state); `source` is what the user acted on (the submit button of
 * a form, say). `ownValue` is the value of a control that fired outside any Form.
 */
export async function fireAction(
  boundTo: BoundAction,
  owner: HTMLElement,
  source: HTMLElement = owner,
  ownValue?: Record<string, unknown>,
): Promise<void> {
  const root = owner.closest<HTMLElement>(`.${ROOT_CLASS}`);
  const host = root ? hosts.get(root) : undefined;
  if (!root || !host) return;
  if (isBusy(owner, root) || (source !== owner && isBusy(source, root))) return;
  const { action, auto } = boundTo;
  const form = owner.closest<HTMLFormElement>("form.ckw-form");
  const formData = form ? collectFormValues(form) : undefined;
  const payload = mergePayload(action.payload, formData ?? ownValue, action.type);
  const sent: ActionConfig = { ...action };
  if (payload !== undefined) sent.payload = payload;
  const lb = action.loadingBehavior;
  const target: LoadingTarget = lb === "self" || lb === "container" || lb === "none" ? lb : auto;
  // A form's own state is invisible: `self` on a submit is the button that submitted it.
  const self = source !== owner && source.classList.contains("ckw-button") && owner.contains(source) ? source : owner;
  const stop = startLoading(target, self, root);
  try {
    await host.onAction(sent, formData ? { formData, source } : { source });
  } catch (err) {
    console.error(`chatkit widget: action "${action.type}" failed`, err);
  } finally {
    stop();
  }
}
