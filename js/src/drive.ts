// Driving a chat view from Python: the kernel's commands run as ChatKit's element methods on
// whichever renderer the view shows (the hosted <openai-chatkit> or our lite renderer, which has
// the same methods), and ChatKit's events go back so Python handlers can follow the chat.
// The kernel side is chatkit_jupyter/widget/_drive.py.

import type { Bridge } from "./transport/bridge";
import * as p from "./transport/protocol";

type Method = (...args: never[]) => Promise<unknown>;

/** The element methods a command may call: <openai-chatkit>'s, which LiteInstance mirrors. */
export type CommandTarget = EventTarget & Record<p.CommandName, Method>;

/**
 * The lite renderer as a command target: it fires ChatKit's events on its element and has the
 * element's methods on the instance.
 */
export function liteTarget(instance: { element: HTMLElement } & Record<p.CommandName, Method>): CommandTarget {
  const el = instance.element;
  const target = {
    addEventListener: el.addEventListener.bind(el),
    removeEventListener: el.removeEventListener.bind(el),
    dispatchEvent: el.dispatchEvent.bind(el),
  } as CommandTarget;
  for (const name of p.COMMANDS) target[name] = instance[name].bind(instance);
  return target;
}

const STARTS_A_RESPONSE: readonly string[] = [p.COMMAND_SEND_USER_MESSAGE, p.COMMAND_SEND_CUSTOM_ACTION];

/**
 * Runs one command on `target`. A command that starts a response settles once the response has
 * started (or the method settled, if sooner): the reply may stream for minutes, and Python learns
 * its end from `response_end`. Later failures show in the chat itself.
 */
export async function runCommand(target: CommandTarget, name: string, args: unknown[]): Promise<unknown> {
  if (!(p.COMMANDS as readonly string[]).includes(name)) {
    throw new Error(`Unknown command "${name}"; this view runs ${p.COMMANDS.join(", ")}.`);
  }
  const method = target[name as p.CommandName] as unknown as ((...a: unknown[]) => Promise<unknown>) | undefined;
  if (typeof method !== "function") throw new Error(`This ChatKit renderer has no ${name}() method.`);
  if (!STARTS_A_RESPONSE.includes(name)) return await method.apply(target, args);
  let stop: () => void = () => undefined;
  const started = new Promise<undefined>((resolve) => {
    const listener = () => resolve(undefined);
    target.addEventListener("chatkit.response.start", listener, { once: true });
    stop = () => target.removeEventListener("chatkit.response.start", listener);
  });
  const run = Promise.resolve(method.apply(target, args));
  try {
    return await Promise.race([run, started]);
  } finally {
    stop();
    run.catch(() => undefined); // failures after the start are the chat's to show
  }
}

export interface DriveOptions {
  /** `"chatkit"` (hosted element) or `"lite"`, reported with `ready`. */
  renderer: "chatkit" | "lite";
  /** The thread the view opens with (options.initialThread). */
  initialThread?: string | null;
}

/**
 * Connects a mounted renderer to the kernel: runs the commands addressed to this view and reports
 * `chatkit.ready` (once), `chatkit.thread.change`, `chatkit.response.start` / `.end`.
 * Returns the thread the view shows (for `onAction`'s thread id) and a disconnect function.
 */
export function connectView(
  target: CommandTarget,
  bridge: Pick<Bridge, "notify" | "onCommand">,
  options: DriveOptions,
): { threadId(): string | null; disconnect(): void } {
  let threadId: string | null = options.initialThread ?? null;
  let ready = false;
  const listeners: Array<[string, EventListener]> = [
    [
      "chatkit.ready",
      () => {
        // The stand-in and some hosts fire it again on setOptions; the kernel needs it once.
        if (ready) return;
        ready = true;
        bridge.notify(p.HOOK_READY, { renderer: options.renderer, thread_id: threadId });
      },
    ],
    [
      "chatkit.thread.change",
      (e) => {
        threadId = (e as CustomEvent<{ threadId: string | null }>).detail?.threadId ?? null;
        bridge.notify(p.HOOK_THREAD_CHANGE, { thread_id: threadId });
      },
    ],
    ["chatkit.response.start", () => bridge.notify(p.HOOK_RESPONSE_START, { thread_id: threadId })],
    ["chatkit.response.end", () => bridge.notify(p.HOOK_RESPONSE_END, { thread_id: threadId })],
  ];
  // The person's clicks and keys say which view they use (commands meant for one view go
  // there); once a second is enough to tell views apart.
  let lastActive = 0;
  const active = () => {
    const now = Date.now();
    if (now - lastActive < 1000) return;
    lastActive = now;
    bridge.notify(p.HOOK_ACTIVE, {});
  };
  for (const name of ["pointerdown", "keydown"]) listeners.push([name, active]);
  for (const [name, fn] of listeners) target.addEventListener(name, fn);
  const off = bridge.onCommand((name, args) => runCommand(target, name, args));
  return {
    threadId: () => threadId,
    disconnect: () => {
      off();
      for (const [name, fn] of listeners) target.removeEventListener(name, fn);
    },
  };
}
