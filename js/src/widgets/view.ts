// The anywidget entry point of a WidgetView (chatkit_jupyter/widget/_view.py): one ChatKit
// widget in a cell output. It draws the `widget` trait with the widget renderer, redraws in place
// when the kernel changes it, and sends actions to Python over the comm bridge's `call`.
import type { AnyModel, Render } from "@anywidget/types";
import { h } from "../render/dom";
import { hostColorScheme } from "../render/host-theme";
import { parts } from "../render/md";
import { Bridge, type CommModel } from "../transport/bridge";
import * as p from "../transport/protocol";
import { addIcons, renderWidget, setWidgetColorScheme, updateWidget, type WidgetHost, type WidgetRoot } from "./index";
import { KernelLink, type LinkModel, NOT_CONNECTED } from "./link";
import "./view.css";

interface ViewModel {
  widget: Record<string, unknown>;
  /** Icon nodes of the `lucide:` names the widget uses that this bundle lacks, by name. */
  icons: Record<string, unknown>;
  theme: "auto" | "light" | "dark";
  error: string;
}

type Model = AnyModel<ViewModel>;

export const render: Render<ViewModel> = ({ model, el }) => {
  const m = model as Model;
  const frame = h("div", "ckw-view");
  const errorLine = h("div", { class: "ckw-view__error", role: "alert" });
  errorLine.hidden = true;
  let localError = "";

  const showError = () => {
    const text = m.get("error") || localError;
    errorLine.textContent = text;
    errorLine.hidden = !text;
  };

  const bridge = new Bridge(m as unknown as CommModel, {
    onError: (error) => {
      localError = link.heard ? error.message : NOT_CONNECTED;
      showError();
    },
  });
  const link = new KernelLink(m as unknown as LinkModel, bridge.view);

  const scheme = () => {
    const t = m.get("theme");
    return t === "light" || t === "dark" ? t : hostColorScheme();
  };

  // `WidgetView()` starts with no widget (`{}`): draw nothing rather than a "no type" placeholder.
  const root = () => {
    const w = m.get("widget");
    return (w && typeof w === "object" && Object.keys(w).length ? w : { type: "Basic", children: [] }) as WidgetRoot;
  };

  // Updates faster than the screen refreshes are drawn once per frame, newest state only: a
  // loop in the kernel can update at any rate without the page falling behind.
  let queued = false;
  const draw = () => {
    queued = false;
    addIcons(m.get("icons"));
    updateWidget(widgetEl, root(), host);
  };
  const redraw = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      if (queued) draw();
    });
  };

  const host: WidgetHost = {
    colorScheme: scheme(),
    onAction: async (action) => {
      // The kernel answers once the handler has returned; the action's loading state lasts
      // until then, and a redraw it asked for arrives (as a `widget` change) before the answer.
      // Without a kernel (saved state, exported page) no answer comes: after a short silence
      // say so and end the loading state; an answer that comes late still counts.
      localError = "";
      const call = bridge.call(p.HOOK_ACTION, { action }).then(
        () => "",
        (error) => (link.heard ? (error instanceof Error ? error.message : String(error)) : NOT_CONNECTED),
      );
      localError = await Promise.race([call, link.silent().then((silent) => (silent ? NOT_CONNECTED : call))]);
      if (queued) draw(); // the handler's redraw lands before the loading state ends
      showError();
      if (localError === NOT_CONNECTED) {
        void call.then((late) => {
          if (localError === NOT_CONNECTED && link.heard) {
            localError = late;
            showError();
          }
        });
      }
    },
  };

  addIcons(m.get("icons"));
  const widgetEl = renderWidget(root(), host);
  frame.append(widgetEl, errorLine);
  el.append(frame);
  showError();

  const rescheme = () => {
    const next = scheme();
    if (next === host.colorScheme) return;
    host.colorScheme = next;
    setWidgetColorScheme(widgetEl, next);
  };
  m.on("change:widget", redraw);
  m.on("change:icons", redraw);
  m.on("change:error", showError);
  m.on("change:theme", rescheme);
  // JupyterLab flips data-jp-theme-light on <body> when the user switches themes.
  const observer = new MutationObserver(rescheme);
  observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "class"] });

  return () => {
    observer.disconnect();
    m.off("change:widget", redraw);
    m.off("change:icons", redraw);
    m.off("change:error", showError);
    m.off("change:theme", rescheme);
    link.close();
    bridge.close();
    frame.remove();
  };
};

export default { render, parts };
