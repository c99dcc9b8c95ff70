// Loads OpenAI's hosted <openai-chatkit> web component from its CDN. It is closed source and
// served only from there, so this fails offline, behind some VPNs and in saved notebooks; the
// caller decides whether to fall back to the lite renderer.

import type { OpenAIChatKit } from "@openai/chatkit";
import { h } from "./render/dom";

const loads = new Map<string, Promise<void>>();

/**
 * Resolve once `<openai-chatkit>` is defined; reject with a readable reason otherwise: the script
 * failed, or it is not defined within `timeoutMs`, or (with `answerMs`) the CDN has not answered
 * at all within `answerMs`. A CDN that drops packets never fails a <script>: only the timeout
 * ends the wait. So, for a caller with a fallback, a `no-cors` HEAD request for the same URL tells
 * an unreachable CDN (no response in time; any status counts as an answer) from a slow download
 * (it answered: wait on). HEAD, because Chrome holds a cross-origin no-cors GET's response until
 * it has sniffed the body.
 * Only its silence counts; if it fails (e.g. a CSP that allows the script but not fetch), the
 * script's own outcome decides.
 */
export function loadHostedChatKit(src: string, timeoutMs: number, answerMs?: number): Promise<void> {
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
  const timed = withTimeout(load, timeoutMs, `the component was not defined within ${(timeoutMs / 1000).toFixed(1)} s`);
  if (answerMs === undefined || answerMs >= timeoutMs) return timed;
  return Promise.race([timed, silence(src, answerMs, load)]);
}

/** Rejects if `src` sends no response headers within `ms` (and `done` has not settled first). */
function silence(src: string, ms: number, done: Promise<void>): Promise<never> {
  return new Promise<never>((_, reject) => {
    const probe = new AbortController();
    let answered = false;
    const timer = setTimeout(() => {
      if (answered) return;
      probe.abort();
      reject(new Error(`the CDN did not answer within ${(ms / 1000).toFixed(1)} s`));
    }, ms);
    const stop = () => {
      answered = true;
      clearTimeout(timer);
      probe.abort();
    };
    fetch(src, { method: "HEAD", mode: "no-cors", cache: "no-store", credentials: "omit", signal: probe.signal }).then(stop, stop);
    done.then(stop, stop);
  });
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
