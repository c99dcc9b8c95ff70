// The view's options: which ChatKit callbacks it supplies for the Python handlers it is told about
// (the `handlers` trait), and that each one calls the kernel over the bridge.
import { describe, expect, it } from "vitest";
import { buildOptions } from "../src/index";
import { Bridge, type CommModel } from "../src/transport/bridge";
import * as p from "../src/transport/protocol";

type Listener = (msg: unknown, buffers: DataView[]) => void;

/** Answers every hook call with `answers[hook]`, as the kernel would. */
class FakeKernel implements CommModel {
  calls: { hook: string; payload: unknown }[] = [];
  listeners = new Set<Listener>();
  constructor(private readonly answers: Record<string, unknown> = {}) {}
  send(content: p.FrontendMessage): void {
    if (content.kind !== p.CALL) return;
    this.calls.push({ hook: content.hook, payload: content.payload });
    const value = this.answers[content.hook];
    queueMicrotask(() => {
      for (const cb of [...this.listeners]) {
        cb(
          value instanceof Error
            ? { kind: p.RESULT, id: content.id, ok: false, message: value.message }
            : { kind: p.RESULT, id: content.id, ok: true, value },
          [],
        );
      }
    });
  }
  on(_event: "msg:custom", cb: Listener): void {
    this.listeners.add(cb);
  }
  off(_event: "msg:custom", cb: Listener): void {
    this.listeners.delete(cb);
  }
}

function model(state: Record<string, unknown>) {
  const full: Record<string, unknown> = { options: {}, handlers: [], api_mode: "custom", domain_key: "k", ...state };
  return { get: (key: string) => full[key] } as Parameters<typeof buildOptions>[0];
}

describe("buildOptions", () => {
  it("adds no entity or command callbacks without handlers, keeping the user's JSON", () => {
    const options = buildOptions(model({ options: { entities: { showComposerMenu: true } } }), new Bridge(new FakeKernel()), false);
    expect(options.entities).toEqual({ showComposerMenu: true });
    expect(options.commands).toBeUndefined();
  });

  it("wires each Python handler to the matching ChatKit callback, merged with the user's options", async () => {
    const entity = { id: "var:sales", title: "sales" };
    const kernel = new FakeKernel({
      [p.HOOK_ENTITY_SEARCH]: [entity],
      [p.HOOK_ENTITY_PREVIEW]: { preview: null },
      [p.HOOK_COMMAND_SEARCH]: [{ id: "c", label: "C" }],
      [p.HOOK_COMMAND_SELECT]: null,
      [p.HOOK_ENTITY_CLICK]: null,
    });
    const options = buildOptions(
      model({ options: { entities: { showComposerMenu: true } }, handlers: [...p.HANDLER_HOOKS] }),
      new Bridge(kernel),
      true,
    );
    expect(options.entities?.showComposerMenu).toBe(true);
    expect(options.commands?.enabled).toBe(true);
    expect(await options.entities!.onTagSearch!("sa")).toEqual([entity]);
    expect(await options.entities!.onRequestPreview!(entity)).toEqual({ preview: null });
    expect(await options.commands!.onSearch!("c")).toEqual([{ id: "c", label: "C" }]);
    // The kernel answers null for "no selection"; ChatKit's type says void.
    expect(await options.commands!.onSelect!({ id: "c", label: "C" })).toBeUndefined();
    options.entities!.onClick!(entity);
    expect(kernel.calls).toEqual([
      { hook: p.HOOK_ENTITY_SEARCH, payload: { query: "sa" } },
      { hook: p.HOOK_ENTITY_PREVIEW, payload: { entity } },
      { hook: p.HOOK_COMMAND_SEARCH, payload: { query: "c" } },
      { hook: p.HOOK_COMMAND_SELECT, payload: { command: { id: "c", label: "C" } } },
      { hook: p.HOOK_ENTITY_CLICK, payload: { entity } },
    ]);
  });

  it("respects commands.enabled = false and reports a failing click handler", async () => {
    const kernel = new FakeKernel({ [p.HOOK_ENTITY_CLICK]: new Error("KeyError: 'x'") });
    const reported: unknown[] = [];
    const options = buildOptions(
      model({ options: { commands: { enabled: false } }, handlers: [p.HOOK_COMMAND_SEARCH, p.HOOK_ENTITY_CLICK] }),
      new Bridge(kernel),
      false,
      (e) => reported.push(e),
    );
    expect(options.commands?.enabled).toBe(false);
    expect(options.commands?.onSearch).toBeTypeOf("function");
    expect(options.entities?.onTagSearch).toBeUndefined();
    options.entities!.onClick!({ id: "x", title: "x" });
    await new Promise((r) => setTimeout(r, 0));
    expect(String(reported[0])).toContain("KeyError: 'x'");
  });

  it("asks the kernel for client secrets, passing the expired one back, and shows why one failed", async () => {
    const kernel = new FakeKernel({ [p.HOOK_CLIENT_SECRET]: "ek_new" });
    const reported: unknown[] = [];
    const options = buildOptions(model({ api_mode: "hosted" }), new Bridge(kernel), true, (e) => reported.push(e));
    const api = options.api as { getClientSecret: (current: string | null) => Promise<string>; url?: string };
    expect(api.url).toBeUndefined();
    expect(await api.getClientSecret(null)).toBe("ek_new");
    expect(await api.getClientSecret("ek_old")).toBe("ek_new");
    expect(kernel.calls).toEqual([
      { hook: p.HOOK_CLIENT_SECRET, payload: { current: null } },
      { hook: p.HOOK_CLIENT_SECRET, payload: { current: "ek_old" } },
    ]);
    expect(reported).toEqual([]);

    const refused = "RuntimeError: Could not get a client secret for workflow 'wf_1' from OpenAI: ...";
    const failing = buildOptions(
      model({ api_mode: "hosted" }),
      new Bridge(new FakeKernel({ [p.HOOK_CLIENT_SECRET]: new Error(refused) })),
      true,
      (e) => reported.push(e),
    );
    await expect((failing.api as typeof api).getClientSecret(null)).rejects.toThrow(refused);
    expect(reported.map(String)).toEqual([`Error: ${refused}`]);
  });
});
