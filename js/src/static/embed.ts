// Draws the WidgetViews of an exported notebook page without a kernel, a widget manager or the
// network. `jupyter nbconvert --to chatkit` inlines this (as a module script, so it runs once the
// page is parsed and before DOMContentLoaded, when html-manager's loader starts). The page holds
// the widget state nbconvert saved (`application/vnd.jupyter.widget-state+json`), and for each
// WidgetView model that state carries its last `widget` and the view's own ESM (`_esm`, anywidget
// saves it: our small loader, which finds the view's code in the `Code` model its `_code` names):
// we re-type those views' scripts so html-manager skips them, import the ESM from a Blob URL and
// render it with a minimal model over the saved state. Every other widget stays html-manager's.

import { h } from "../render/dom";

const STATE_TYPE = "application/vnd.jupyter.widget-state+json";
const VIEW_TYPE = "application/vnd.jupyter.widget-view+json";
/** What html-manager does not look for. */
const TAKEN_TYPE = `${VIEW_TYPE};chatkit-static`;
/** `_anywidget_id` is `module.ClassName`; ours is chatkit_jupyter.widget.<module>.WidgetView. */
const OURS = /^chatkit_jupyter\.[\w.]*\.WidgetView$/;
const CHAT = /^chatkit_jupyter\.[\w.]*\.ChatKitWidget$/;
/** What a chat shows in the page: it runs only with its kernel, which no exported page has. */
export const CHAT_NOTE = "A ChatKit chat: it runs in the notebook's kernel. Open the notebook and run this cell to chat.";

interface ModelEntry {
  model_name?: string;
  state?: Record<string, unknown>;
}

type Listener = (...args: unknown[]) => void;

/** The model calls a WidgetView makes, over a copy of the saved state; nothing reaches a kernel.
 * `models` is the page's saved state, for `widget_manager.get_model` (the loader's code model). */
export function staticModel(state: Record<string, unknown>, models: Record<string, ModelEntry> = {}) {
  const attrs = { ...state };
  const listeners = new Map<string, Set<Listener>>();
  return {
    get: (key: string) => attrs[key],
    set(key: string, value: unknown) {
      attrs[key] = value;
      for (const cb of listeners.get(`change:${key}`) ?? []) cb();
    },
    on(event: string, cb: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(cb);
    },
    off(event: string, cb: Listener) {
      listeners.get(event)?.delete(cb);
    },
    save_changes() {},
    send() {},
    widget_manager: {
      async get_model(id: string) {
        const entry = Object.hasOwn(models, id) ? models[id] : undefined;
        if (!entry?.state) throw new Error(`the saved widget state has no model ${id}`);
        return staticModel(entry.state);
      },
    },
  };
}

interface AnyWidgetModule {
  initialize?: (ctx: unknown) => unknown;
  render?: (ctx: unknown) => unknown;
}

const modules = new Map<string, Promise<AnyWidgetModule>>();

function load(esm: string): Promise<AnyWidgetModule> {
  let mod = modules.get(esm);
  if (!mod) {
    const url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
    mod = import(url).then((m) => (typeof m.default === "function" ? m.default() : m.default));
    modules.set(esm, mod);
  }
  return mod;
}

const styled = new Set<string>();

async function draw(host: HTMLElement, state: Record<string, unknown>, models: Record<string, ModelEntry>): Promise<void> {
  const css = state._css;
  if (typeof css === "string" && css && !styled.has(css)) {
    styled.add(css);
    const style = h("style");
    style.textContent = css;
    document.head.append(style);
  }
  const widget = await load(String(state._esm));
  const model = staticModel(state, models);
  await widget.initialize?.({ model, experimental: {} });
  await widget.render?.({ model, el: host, experimental: {} });
}

function readState(): Record<string, ModelEntry> {
  const el = document.querySelector(`script[type="${STATE_TYPE}"]`);
  if (!el?.textContent) return {};
  try {
    return (JSON.parse(el.textContent).state ?? {}) as Record<string, ModelEntry>;
  } catch {
    return {};
  }
}

export function embed(): Promise<void>[] {
  const state = readState();
  const jobs: [HTMLElement, Record<string, unknown>][] = [];
  // All re-typing happens now, synchronously, before html-manager can see the scripts.
  for (const script of Array.from(document.querySelectorAll<HTMLScriptElement>(`script[type="${VIEW_TYPE}"]`))) {
    let modelId: unknown;
    try {
      modelId = JSON.parse(script.textContent ?? "").model_id;
    } catch {
      continue;
    }
    const entry = typeof modelId === "string" ? state[modelId] : undefined;
    const attrs = entry?.state;
    if (entry?.model_name !== "AnyModel" || !attrs) continue;
    if (CHAT.test(String(attrs._anywidget_id))) {
      // html-manager would fetch its code from CDNs to draw a chat that cannot answer.
      script.type = TAKEN_TYPE;
      script.parentElement?.insertBefore(
        h("div", {
          class: "chatkit-static-chat",
          role: "note",
          style: "font: 14px system-ui, sans-serif; padding: 8px 0",
          text: CHAT_NOTE,
        }),
        script,
      );
      continue;
    }
    if (!OURS.test(String(attrs._anywidget_id)) || typeof attrs._esm !== "string") continue;
    script.type = TAKEN_TYPE;
    const host = h("div", "chatkit-static-view");
    script.parentElement?.insertBefore(host, script);
    jobs.push([host, attrs]);
  }
  return jobs.map(([host, attrs]) =>
    draw(host, attrs, state).catch((error) => {
      host.textContent = `Could not draw this widget: ${error instanceof Error ? error.message : String(error)}`;
    }),
  );
}

embed();
