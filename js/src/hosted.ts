// Loads OpenAI's hosted <openai-chatkit> web component from its CDN. It is closed source and
// served only from there, so this fails offline, behind some VPNs and in saved notebooks; the
// caller decides whether to fall back to the lite renderer.

import type { OpenAIChatKit } from "@openai/chatkit";
import { h } from "./render/dom";

const loads = new Map<string, Promise<void>>();

/** Resolve once `<openai-chatkit>` is defined; reject with a readable reason otherwise. */
export function loadHostedChatKit(src: string, timeoutMs: number): Promise<void> {
  if (customElements.get("openai-chatkit")) return Promise.resolve();
  let load = loads.get(src);
  if (!load) {
    load = new Promise<void>((resolve, reject) => {
      const script = h("script", { src, async: true });
      script.addEventListener("error", () => reject(new Error(`the script ${src} could not be loaded (offline, blocked or unreachable)`)));
      document.head.appendChild(script);
      customElements.whenDefined("openai-chatkit").then(() => resolve(), reject);
    });
    // A failed load may succeed later (the network came back): don't cache failures.
    load.catch(() => loads.delete(src));
    loads.set(src, load);
  }
  return withTimeout(load, timeoutMs, `the component was not defined within ${(timeoutMs / 1000).toFixed(1)} s`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, reason: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(reason)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export function createHostedElement(): OpenAIChatKit {
  return document.createElement("openai-chatkit") as OpenAIChatKit;
}
