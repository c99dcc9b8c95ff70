// Commands from Python run as ChatKit's element methods: on a real lite renderer (against a fake
// ChatKit backend) and on a stand-in for the hosted <openai-chatkit> element; ChatKit's events
// reach the kernel as hook notifications.
import { afterEach, describe, expect, it } from "vitest";
import { type CommandTarget, connectView, liteTarget, runCommand } from "../src/drive";
import { Bridge, type CommModel } from "../src/transport/bridge";
import * as p from "../src/transport/protocol";
import {
  assistantItem,
  byRole,
  composer,
  controlledStream,
  FakeServer,
  item,
  jsonResponse,
  log,
  type Mounted,
  mount,
  queryByRole,
  replyEvents,
  sseResponse,
  thread,
  unmountAll,
  userItem,
  waitFor,
} from "./lite/harness";

afterEach(() => unmountAll());

function target(m: Mounted): CommandTarget {
  return liteTarget(m.lite);
}

/** A backend with one stored thread; `stored` grows when Python "posts" into it. */
function threadServer(stored: object[]): FakeServer {
  const server = new FakeServer();
  server.on("threads.get_by_id", (params) =>
    params.thread_id === "thr_1"
      ? jsonResponse(thread("thr_1", { title: "Sales", items: { data: stored.slice(), has_more: false } }))
      : jsonResponse({ error: "Not found: thr_x" }, 404),
  );
  server.on("items.list", (params) => {
    const after = params.after as string | undefined;
    const start = after ? stored.findIndex((i) => (i as { id: string }).id === after) + 1 : 0;
    return jsonResponse({ data: stored.slice(start), has_more: false, after: null });
  });
  return server;
}

describe("commands on the lite renderer", () => {
  it("sendUserMessage sends the text and settles once the response starts, before it ends", async () => {
    const server = new FakeServer();
    const stream = controlledStream();
    server.on("threads.create", () => stream.response);
    const m = mount({}, server);
    const sent = runCommand(target(m), p.COMMAND_SEND_USER_MESSAGE, [{ text: "Hello from Python" }]);
    await expect(sent).resolves.toBeUndefined();
    const [create] = server.ofType("threads.create");
    expect((create.params.input as { content: unknown }).content).toEqual([{ type: "input_text", text: "Hello from Python" }]);
    // Still streaming: the command did not wait for the reply.
    expect(m.events.filter((e) => e.type === "chatkit.response.end")).toHaveLength(0);
    stream.push({ type: "thread.created", thread: thread("thr_1") }, ...replyEvents("msg_u", "Hello from Python", "msg_a", ["Hi", "!"]));
    stream.close();
    await waitFor(() => log(m.el).textContent?.includes("Hi!"), "the reply");
    expect(log(m.el).textContent).toContain("Hello from Python");
  });

  it("sendUserMessage with newThread leaves the open thread first; a busy chat refuses", async () => {
    const stored = [userItem("msg_1", "old question"), assistantItem("msg_2", "old answer")];
    const server = threadServer(stored);
    const stream = controlledStream();
    server.on("threads.create", () => stream.response);
    const m = mount({ initialThread: "thr_1" }, server);
    await waitFor(() => log(m.el).textContent?.includes("old answer"), "the thread");
    await runCommand(target(m), p.COMMAND_SEND_USER_MESSAGE, [{ text: "fresh", newThread: true }]);
    expect(server.ofType("threads.create")).toHaveLength(1);
    expect(log(m.el).textContent).not.toContain("old answer");
    await expect(runCommand(target(m), p.COMMAND_SEND_USER_MESSAGE, [{ text: "again" }])).rejects.toThrow(
      /while a response is still streaming/,
    );
    stream.close();
  });

  it("setThreadId opens a thread and rejects with the reason when it cannot", async () => {
    const m = mount({}, threadServer([userItem("msg_1", "stored question")]));
    await runCommand(target(m), p.COMMAND_SET_THREAD_ID, ["thr_1"]);
    expect(log(m.el).textContent).toContain("stored question");
    expect(m.events.find((e) => e.type === "chatkit.thread.change")?.detail).toEqual({ threadId: "thr_1" });
    await expect(runCommand(target(m), p.COMMAND_SET_THREAD_ID, ["thr_x"])).rejects.toThrow("Thread thr_x could not be opened.");
    await runCommand(target(m), p.COMMAND_SET_THREAD_ID, [null]);
    expect(m.events.at(-1)).toEqual({ type: "chatkit.thread.change", detail: { threadId: null } });
  });

  it("fetchUpdates shows items stored since the thread loaded, without reloading it", async () => {
    const stored: object[] = [userItem("msg_1", "question"), assistantItem("msg_2", "answer")];
    const m = mount({ initialThread: "thr_1" }, threadServer(stored));
    await waitFor(() => log(m.el).textContent?.includes("answer"), "the thread");
    const before = log(m.el).querySelector("article");
    const changes = m.events.filter((e) => e.type === "chatkit.thread.change").length;
    stored.push(assistantItem("msg_3", "Posted **from Python**"));
    stored.push(item("widget", "msg_4", { widget: { type: "Card", children: [{ type: "Text", value: "A posted card" }] } }));
    await runCommand(target(m), p.COMMAND_FETCH_UPDATES, []);
    await m.lite.settle();
    expect(log(m.el).textContent).toContain("Posted from Python");
    expect(log(m.el).textContent).toContain("A posted card");
    // The items already on screen were kept, not redrawn, and the thread was not reopened.
    expect(log(m.el).querySelector("article")).toBe(before);
    expect(m.events.filter((e) => e.type === "chatkit.thread.change")).toHaveLength(changes);
    expect(m.server.ofType("threads.get_by_id")).toHaveLength(1);
    const lists = m.server.ofType("items.list");
    expect(lists.at(-1)?.params).toMatchObject({ thread_id: "thr_1", after: "msg_2", order: "asc" });
  });

  it("fetchUpdates waits for a running response instead of cancelling it", async () => {
    const stored: object[] = [userItem("msg_1", "question"), assistantItem("msg_2", "answer")];
    const server = threadServer(stored);
    const stream = controlledStream();
    server.on("threads.add_user_message", () => stream.response);
    const m = mount({ initialThread: "thr_1" }, server);
    await waitFor(() => log(m.el).textContent?.includes("answer"), "the thread");
    await runCommand(target(m), p.COMMAND_SEND_USER_MESSAGE, [{ text: "more" }]);
    const fetched = runCommand(target(m), p.COMMAND_FETCH_UPDATES, []);
    stream.push(...replyEvents("msg_5", "more", "msg_6", ["streamed ", "reply"]));
    stored.push(userItem("msg_5", "more"), assistantItem("msg_6", "streamed reply"), assistantItem("msg_7", "posted meanwhile"));
    stream.close();
    await fetched;
    await m.lite.settle();
    const text = log(m.el).textContent ?? "";
    expect(text).toContain("streamed reply");
    expect(text).toContain("posted meanwhile");
    expect(text.split("streamed reply")).toHaveLength(2); // shown once
    const logged = m.events.filter((e) => e.type === "chatkit.log").map((e) => (e.detail as { name: string }).name);
    expect(logged).not.toContain("stream.cancelled");
    expect(m.events.filter((e) => e.type === "chatkit.error")).toHaveLength(0);
  });

  it("setComposerValue fills the composer with text and attachments; focusComposer focuses it", async () => {
    const m = mount({ composer: { attachments: { enabled: true } } });
    const attachment = { type: "file", id: "atc_1", name: "notes.csv", mime_type: "text/csv" };
    await runCommand(target(m), p.COMMAND_SET_COMPOSER_VALUE, [{ text: "Summarize this file", attachments: [attachment] }]);
    expect(composer(m.el).value).toBe("Summarize this file");
    expect(m.el.textContent).toContain("notes.csv");
    expect(document.activeElement).not.toBe(composer(m.el));
    await runCommand(target(m), p.COMMAND_FOCUS_COMPOSER, []);
    expect(document.activeElement).toBe(composer(m.el));
    expect((byRole(m.el, "button", "Send message") as HTMLButtonElement).disabled).toBe(false);
  });

  it("sendCustomAction streams the server's answer for the widget item", async () => {
    const server = threadServer([]);
    server.on("threads.custom_action", () => sseResponse([{ type: "thread.item.done", item: assistantItem("msg_9", "Action handled") }]));
    const m = mount({ initialThread: "thr_1" }, server);
    await waitFor(() => m.lite && server.ofType("threads.get_by_id").length > 0 && queryByRole(m.el, "log"), "the thread");
    await waitFor(() => m.events.some((e) => e.type === "chatkit.thread.load.end"), "the load");
    await runCommand(target(m), p.COMMAND_SEND_CUSTOM_ACTION, [{ type: "refresh", payload: { n: 1 } }, "msg_w"]);
    await waitFor(() => log(m.el).textContent?.includes("Action handled"), "the action's reply");
    expect(server.ofType("threads.custom_action")[0].params).toEqual({
      thread_id: "thr_1",
      item_id: "msg_w",
      action: { type: "refresh", payload: { n: 1 } },
    });
  });

  it("refuses names that are not commands", async () => {
    const m = mount();
    await expect(runCommand(target(m), "destroy", [])).rejects.toThrow(/Unknown command "destroy"/);
    expect(m.lite.element.isConnected).toBe(true);
  });
});

/** Stands in for the hosted element: records its method calls and fires ChatKit's events. */
class StandInElement extends EventTarget {
  calls: Array<[string, unknown[]]> = [];
  private record(name: string, args: unknown[]): Promise<void> {
    this.calls.push([name, args]);
    return Promise.resolve();
  }
  focusComposer = (...a: unknown[]) => this.record("focusComposer", a);
  setThreadId = (...a: unknown[]) => this.record("setThreadId", a);
  setComposerValue = (...a: unknown[]) => this.record("setComposerValue", a);
  fetchUpdates = (...a: unknown[]) => this.record("fetchUpdates", a);
  sendCustomAction = (...a: unknown[]) => this.record("sendCustomAction", a);
  // The real element resolves when its request is done; this one never does, so the command
  // must settle on chatkit.response.start.
  sendUserMessage = (...a: unknown[]) => {
    this.calls.push(["sendUserMessage", a]);
    queueMicrotask(() => this.dispatchEvent(new CustomEvent("chatkit.response.start")));
    return new Promise<void>(() => undefined);
  };
}

describe("commands on the hosted element", () => {
  it("calls each element method with the arguments from Python", async () => {
    const el = new StandInElement();
    const t = el as unknown as CommandTarget;
    await runCommand(t, p.COMMAND_SEND_USER_MESSAGE, [{ text: "hi", newThread: true }]);
    await runCommand(t, p.COMMAND_SEND_CUSTOM_ACTION, [{ type: "open", payload: { id: 1 } }, "itm_1"]);
    await runCommand(t, p.COMMAND_SET_THREAD_ID, ["thr_9"]);
    await runCommand(t, p.COMMAND_SET_COMPOSER_VALUE, [{ text: "draft", attachments: [{ id: "atc_1" }] }]);
    await runCommand(t, p.COMMAND_FOCUS_COMPOSER, []);
    await runCommand(t, p.COMMAND_FETCH_UPDATES, []);
    expect(el.calls).toEqual([
      ["sendUserMessage", [{ text: "hi", newThread: true }]],
      ["sendCustomAction", [{ type: "open", payload: { id: 1 } }, "itm_1"]],
      ["setThreadId", ["thr_9"]],
      ["setComposerValue", [{ text: "draft", attachments: [{ id: "atc_1" }] }]],
      ["focusComposer", []],
      ["fetchUpdates", []],
    ]);
  });
});

describe("a view connected to the kernel", () => {
  function wire() {
    const sent: Array<Record<string, unknown>> = [];
    let deliver: (msg: unknown, buffers: DataView[]) => void = () => undefined;
    const model: CommModel = {
      send: (content) => void sent.push(content as Record<string, unknown>),
      on: (_e, cb) => {
        deliver = cb;
      },
      off: () => undefined,
    };
    const bridge = new Bridge(model);
    const el = new StandInElement();
    const view = connectView(el as unknown as CommandTarget, bridge, { renderer: "chatkit", initialThread: "thr_0" });
    const calls = () => sent.filter((m) => m.kind === p.CALL).map((m) => [m.hook, m.payload]);
    return { sent, deliver: (msg: unknown) => deliver(msg, []), bridge, el, view, calls };
  }

  it("reports ready once, thread changes and responses with the thread id, and use", () => {
    const { el, view, calls } = wire();
    el.dispatchEvent(new CustomEvent("chatkit.ready"));
    el.dispatchEvent(new CustomEvent("chatkit.ready"));
    el.dispatchEvent(new CustomEvent("chatkit.thread.change", { detail: { threadId: "thr_1" } }));
    el.dispatchEvent(new CustomEvent("chatkit.response.start"));
    el.dispatchEvent(new CustomEvent("chatkit.response.end"));
    el.dispatchEvent(new CustomEvent("chatkit.thread.change", { detail: { threadId: null } }));
    el.dispatchEvent(new Event("pointerdown"));
    el.dispatchEvent(new Event("keydown")); // within a second: not reported again
    expect(calls()).toEqual([
      [p.HOOK_READY, { renderer: "chatkit", thread_id: "thr_0" }],
      [p.HOOK_THREAD_CHANGE, { thread_id: "thr_1" }],
      [p.HOOK_RESPONSE_START, { thread_id: "thr_1" }],
      [p.HOOK_RESPONSE_END, { thread_id: "thr_1" }],
      [p.HOOK_THREAD_CHANGE, { thread_id: null }],
      [p.HOOK_ACTIVE, {}],
    ]);
    expect(view.threadId()).toBeNull();
  });

  it("runs the commands addressed to it, answers each, and ignores other views' commands", async () => {
    const { sent, deliver, bridge, el, view } = wire();
    deliver({ kind: p.COMMAND, id: "k1", view: "someone-else", name: p.COMMAND_FOCUS_COMPOSER, args: [] });
    deliver({ kind: p.COMMAND, id: "k2", view: bridge.view, name: p.COMMAND_SET_THREAD_ID, args: ["thr_5"] });
    deliver({ kind: p.COMMAND, id: "k3", view: bridge.view, name: "remove", args: [] });
    await waitFor(() => sent.filter((m) => m.kind === p.COMMAND_RESULT).length === 2, "two answers");
    expect(el.calls).toEqual([["setThreadId", ["thr_5"]]]);
    const answer = (id: string) => sent.find((m) => m.kind === p.COMMAND_RESULT && m.id === id);
    expect(answer("k2")).toEqual({ kind: p.COMMAND_RESULT, id: "k2", view: bridge.view, ok: true });
    expect(answer("k3")).toMatchObject({ kind: p.COMMAND_RESULT, id: "k3", view: bridge.view, ok: false });
    expect(String(answer("k3")?.message)).toMatch(/Unknown command "remove"/);
    view.disconnect();
    deliver({ kind: p.COMMAND, id: "k4", view: bridge.view, name: p.COMMAND_FOCUS_COMPOSER, args: [] });
    await waitFor(() => sent.filter((m) => m.kind === p.COMMAND_RESULT).length === 3, "the refusal");
    expect(sent.at(-1)).toMatchObject({ id: "k4", ok: false });
    expect(el.calls).toHaveLength(1);
  });
});
