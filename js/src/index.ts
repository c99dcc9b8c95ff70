// The anywidget entry point: one view of a ChatKitWidget. It owns ChatKit's `api` (a fetch over
// the comm bridge), bridges client tools, widget actions and effects to Python, and picks the
// renderer: OpenAI's hosted <openai-chatkit> or our lite renderer.

import type { AnyModel, Render } from "@anywidget/types";
import type { ChatKitOptions, Command, CommandSelection, CommandsOption, EntitiesOption, Entity, OpenAIChatKit } from "@openai/chatkit";
import { type CommandTarget, connectView, liteTarget } from "./drive";
import { createHostedElement, loadHostedChatKit } from "./hosted";
import { type InspectorModel, InspectorPanel } from "./inspector";
import { type LiteController, type LiteOptions, mountLite } from "./lite";
import { h } from "./render/dom";
import { hostColorScheme } from "./render/host-theme";
import { loadMarkdown, parts } from "./render/md";
import { Bridge, type CommModel } from "./transport/bridge";
import * as p from "./transport/protocol";
import { addIconSource, addIcons } from "./widgets";
import "./styles.css";

interface WidgetModel {
  options: Record<string, unknown>;
  height: number;
  renderer: "auto" | "chatkit" | "lite";
  cdn_url: string;
  /** Icon nodes of the `lucide:` names in `options` this bundle lacks, by name. */
  icons: Record<string, unknown>;
  domain_key: string;
  load_timeout: number;
  api_mode: "custom" | "hosted";
  client_tools: string[];
  handlers: string[];
  thread_id: string | null;
  inspector: boolean;
}

type Model = AnyModel<WidgetModel>;

/** How long `renderer="auto"` waits for the CDN to answer at all before using the lite renderer. */
export const ANSWER_MS = 1500;

export { hostColorScheme };

/**
 * ChatKit's `entities` and `commands` callbacks for the hooks Python has handlers for (the
 * `handlers` trait), merged over the user's JSON settings for them (e.g. showComposerMenu).
 */
function hookOptions(
  user: Record<string, unknown>,
  handlers: readonly string[],
  bridge: Pick<Bridge, "call">,
  report: (error: unknown) => void,
): Pick<ChatKitOptions, "entities" | "commands"> {
  const has = (hook: string) => handlers.includes(hook);
  const out: Pick<ChatKitOptions, "entities" | "commands"> = {};
  const entities: EntitiesOption = { ...(user.entities as EntitiesOption | undefined) };
  if (has(p.HOOK_ENTITY_SEARCH)) {
    entities.onTagSearch = async (query) => (await bridge.call(p.HOOK_ENTITY_SEARCH, { query })) as Entity[];
  }
  if (has(p.HOOK_ENTITY_CLICK)) {
    // ChatKit does not wait for onClick; a failing handler is shown in the cell instead.
    entities.onClick = (entity) => {
      bridge.call(p.HOOK_ENTITY_CLICK, { entity }).catch(report);
    };
  }
  if (has(p.HOOK_ENTITY_PREVIEW)) {
    entities.onRequestPreview = async (entity) =>
      (await bridge.call(p.HOOK_ENTITY_PREVIEW, { entity })) as Awaited<ReturnType<NonNullable<EntitiesOption["onRequestPreview"]>>>;
  }
  if (user.entities !== undefined || Object.keys(entities).length) out.entities = entities;
  const userCommands = user.commands as Partial<CommandsOption> | undefined;
  const commandHandler = has(p.HOOK_COMMAND_SEARCH) || has(p.HOOK_COMMAND_SELECT);
  if (userCommands !== undefined || commandHandler) {
    // A Python command handler turns the "/" menu on unless the user switched it off.
    const commands: CommandsOption = { ...userCommands, enabled: userCommands?.enabled ?? commandHandler };
    if (has(p.HOOK_COMMAND_SEARCH)) {
      commands.onSearch = async (query) => (await bridge.call(p.HOOK_COMMAND_SEARCH, { query })) as Command[];
    }
    if (has(p.HOOK_COMMAND_SELECT)) {
      commands.onSelect = async (command) =>
        ((await bridge.call(p.HOOK_COMMAND_SELECT, { command })) ?? undefined) as CommandSelection | undefined;
    }
    out.commands = commands;
  }
  return out;
}

/** The options our renderers get: the user's, plus the parts the widget owns. */
export function buildOptions(
  model: Pick<Model, "get">,
  bridge: Bridge,
  forHosted: boolean,
  report: (error: unknown) => void = () => undefined,
  threadId: () => string | null = () => null,
): ChatKitOptions {
  const user = (model.get("options") ?? {}) as Record<string, unknown>;
  const widgets = (user.widgets ?? {}) as Record<string, unknown>;
  let theme = user.theme as ChatKitOptions["theme"];
  // The hosted component needs a concrete scheme; the lite renderer follows Jupyter by itself.
  if (forHosted && theme === undefined) theme = { colorScheme: hostColorScheme() };
  else if (forHosted && typeof theme === "object" && !theme.colorScheme) theme = { ...theme, colorScheme: hostColorScheme() };
  return {
    ...(user as Partial<ChatKitOptions>),
    ...hookOptions(user, model.get("handlers") ?? [], bridge, report),
    theme,
    api:
      model.get("api_mode") === "hosted"
        ? {
            // The kernel mints the secret with its own API key; the key never reaches the page.
            // Why it could not (a bad key, an unknown workflow) shows in the cell: the hosted
            // component only says that it failed.
            getClientSecret: async (current) => {
              try {
                return String(await bridge.call(p.HOOK_CLIENT_SECRET, { current }));
              } catch (error) {
                report(error);
                throw error;
              }
            },
          }
        : {
            url: p.API_URL,
            domainKey: model.get("domain_key"),
            fetch: bridge.fetch,
            uploadStrategy: { type: "two_phase" },
          },
    onClientTool: async (call) => (await bridge.call(p.HOOK_CLIENT_TOOL, call)) as Record<string, unknown>,
    widgets: {
      ...widgets,
      onAction: async (action, item) => {
        await bridge.call(p.HOOK_ACTION, { action, item, thread_id: threadId() });
      },
    },
  };
}

/** Shown while a request waits on a kernel that has never answered this view (see `onUnheard`). */
export const NO_ANSWER_YET =
  "No answer from the kernel yet. It may be busy running a cell; if this notebook was reopened, run the chat's cell again to connect it.";

const render: Render<WidgetModel> = ({ model, el: host }) => {
  const status = h("div", { class: "ckj-status", role: "status" });
  const alert = h("div", { class: "ckj-alert", role: "alert", hidden: true });
  const stage = h("div", "ckj-stage");
  const root = h("div", "ckj-root", status, alert, stage);
  host.appendChild(root);

  const showError = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    alert.hidden = false;
    alert.textContent = message;
  };
  const bridge = new Bridge(model as unknown as CommModel, {
    onError: showError,
    onUnheard: (unheard) => {
      if (unheard) showError(NO_ANSWER_YET);
      else if (alert.textContent === NO_ANSWER_YET) alert.hidden = true;
    },
  });
  addIcons(model.get("icons"));
  const removeIconSource = addIconSource((names) => bridge.call(p.HOOK_ICONS, { names }));

  // Our own DOM under the chat, the same under either renderer.
  const inspector = new InspectorPanel(model as unknown as InspectorModel, () => bridge.call(p.HOOK_INSPECT, {}));
  root.appendChild(inspector.el);

  const applyHeight = () => {
    stage.style.height = `${Math.max(200, model.get("height") || 600)}px`;
  };
  applyHeight();

  let lite: LiteController | undefined;
  let hosted: OpenAIChatKit | undefined;
  let disposed = false;
  let drive: ReturnType<typeof connectView> | undefined;
  const threadId = () => drive?.threadId() ?? null;
  const initialThread = () => {
    const initial = model.get("options")?.initialThread;
    return typeof initial === "string" && initial ? initial : null;
  };

  const forwardEvents = (target: HTMLElement) => {
    target.addEventListener("chatkit.effect", (e) => bridge.notify(p.HOOK_EFFECT, (e as CustomEvent).detail));
    // chatkit.log fires for every request; only effects and errors are worth a comm message.
    target.addEventListener("chatkit.error", (e) => {
      const detail = (e as CustomEvent<{ error: Error }>).detail;
      bridge.notify(p.HOOK_LOG, { name: "error", data: { message: String(detail?.error?.message ?? detail?.error) } });
    });
    target.addEventListener("chatkit.response.start", () => {
      alert.hidden = true;
    });
  };

  const mountLiteRenderer = () => {
    const { api: _api, ...options } = buildOptions(model, bridge, false, showError, threadId);
    const instance = mountLite(stage, options as LiteOptions, {
      fetch: bridge.fetch,
      apiUrl: p.API_URL,
      colorScheme: hostColorScheme,
      onPushed: (listener) => bridge.onStream(listener),
      stopPushed: (id) => bridge.stopStream(id),
    });
    lite = instance;
    forwardEvents(instance.element);
    drive = connectView(liteTarget(instance), bridge, { renderer: "lite", initialThread: initialThread() });
  };

  const mountHosted = () => {
    hosted = createHostedElement();
    hosted.classList.add("ckj-hosted");
    stage.appendChild(hosted);
    forwardEvents(hosted);
    drive = connectView(hosted as unknown as CommandTarget, bridge, { renderer: "chatkit", initialThread: initialThread() });
    hosted.setOptions(buildOptions(model, bridge, true, showError, threadId));
  };

  const start = async () => {
    const renderer = model.get("renderer");
    if (renderer === "lite") {
      if (model.get("api_mode") === "hosted") {
        showError('An OpenAI-hosted workflow needs the hosted ChatKit component; use renderer="chatkit".');
        return;
      }
      mountLiteRenderer();
      return;
    }
    status.textContent = "Loading ChatKit…";
    try {
      // With the lite renderer to fall back on, a CDN silent for ANSWER_MS is taken as unreachable.
      const fallback = renderer === "auto" && model.get("api_mode") !== "hosted";
      await loadHostedChatKit(model.get("cdn_url"), Math.max(0, model.get("load_timeout") ?? 4) * 1000, fallback ? ANSWER_MS : undefined);
      if (disposed) return;
      status.textContent = "";
      mountHosted();
    } catch (error) {
      if (disposed) return;
      const reason = error instanceof Error ? error.message : String(error);
      if (renderer === "chatkit") {
        status.textContent = "";
        showError(
          `Hosted ChatKit could not load: ${reason}. This machine may be offline or the CDN blocked. ` +
            'Use renderer="lite" (or "auto") to chat with the lite renderer, or set cdn_url to a reachable copy.',
        );
        return;
      }
      if (model.get("api_mode") === "hosted") {
        status.textContent = "";
        showError(
          `Hosted ChatKit could not load: ${reason}. This widget shows an OpenAI-hosted workflow, ` +
            "which only the hosted component can display; check the network or cdn_url.",
        );
        return;
      }
      status.textContent = `Hosted ChatKit could not load: ${reason}. Using the lite renderer.`;
      mountLiteRenderer();
    }
  };
  void start();
  // Markdown is not needed to paint the empty chat but is for the first answer: fetch it next.
  setTimeout(() => loadMarkdown().catch(() => undefined), 0);

  const refreshOptions = () => {
    if (lite) {
      const { api: _api, ...options } = buildOptions(model, bridge, false, showError, threadId);
      lite.setOptions(options as LiteOptions);
    } else if (hosted) {
      hosted.setOptions(buildOptions(model, bridge, true, showError, threadId));
    }
  };
  const refreshIcons = () => {
    addIcons(model.get("icons"));
    refreshOptions();
  };
  model.on("change:options", refreshOptions);
  model.on("change:icons", refreshIcons);
  model.on("change:handlers", refreshOptions);
  model.on("change:height", applyHeight);

  // Follow JupyterLab's theme switch when the user set no colour scheme of their own.
  let scheme = hostColorScheme();
  const themeObserver = new MutationObserver(() => {
    if (hostColorScheme() === scheme || !hosted) return;
    scheme = hostColorScheme();
    refreshOptions();
  });
  themeObserver.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "class"] });

  return () => {
    disposed = true;
    themeObserver.disconnect();
    model.off("change:options", refreshOptions);
    model.off("change:icons", refreshIcons);
    model.off("change:handlers", refreshOptions);
    removeIconSource();
    model.off("change:height", applyHeight);
    drive?.disconnect();
    lite?.destroy();
    inspector.destroy();
    bridge.close();
    root.remove();
  };
};

export default { render, parts };
