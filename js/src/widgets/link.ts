// Whether a WidgetView's model reaches a live kernel. A view also draws where none does: a
// notebook reopened with saved widget state (JupyterLab restores the model without its comm,
// and `send` then drops messages silently) or an exported HTML page. There an action would
// wait for an answer that never comes; the view says so instead.
//
// The view says hello once (a `log` call the kernel answers at once when it is idle); any
// message or trait change from the kernel proves the link. A kernel busy running a cell answers
// late, so "not connected" is only a verdict after a short silence, and a late answer clears it.
import * as p from "../transport/protocol";

/** The model calls the link uses: a minimal model (a static page) can provide them. */
export interface LinkModel {
  on(event: string, cb: (...args: unknown[]) => void): void;
  off(event: string, cb: (...args: unknown[]) => void): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

export const NOT_CONNECTED = "Not connected to a kernel: run the cell again";

/** How long an action waits for a first word from the kernel before saying it is not connected. */
export const SILENCE_MS = 1500;

export class KernelLink {
  /** True once the kernel has said anything to this model. */
  heard = false;
  private waiters = new Set<() => void>();
  private readonly onWord = () => {
    this.heard = true;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  };
  private static readonly EVENTS = ["msg:custom", "change:widget", "change:error"];

  constructor(
    private model: LinkModel,
    view: string,
  ) {
    for (const event of KernelLink.EVENTS) model.on(event, this.onWord);
    const hello: p.CallMessage = {
      kind: p.CALL,
      id: `${view}:hello`,
      view,
      hook: p.HOOK_LOG,
      payload: { level: "debug", message: "view hello" },
    };
    try {
      model.send(hello);
    } catch {
      // no comm to send on: the silence says the rest
    }
  }

  /** Resolves `true` when the kernel stays silent for `ms`, `false` as soon as it speaks. */
  silent(ms = SILENCE_MS): Promise<boolean> {
    if (this.heard) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(!this.heard);
      }, ms);
      this.waiters.add(wake);
    });
  }

  close(): void {
    for (const event of KernelLink.EVENTS) this.model.off(event, this.onWord);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}
