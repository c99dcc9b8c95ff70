import { afterEach, describe, expect, test } from "vitest";
import {
  allByRole,
  assistantItem,
  byRole,
  composer,
  controlledStream,
  FakeServer,
  jsonResponse,
  log,
  type Mounted,
  mount,
  press,
  queryByRole,
  replyEvents,
  sseResponse,
  thread,
  type,
  unmountAll,
  userItem,
  waitFor,
} from "./harness";

let mounted: Mounted | null = null;
afterEach(() => {
  unmountAll();
  mounted = null;
});

function start(options = {}, server = new FakeServer()): Mounted {
  mounted = mount(options, server);
  return mounted;
}

/** A server whose threads.create / add_user_message stream a reply to each message. */
function chatServer(reply = ["Hello", ", ", "**world**"]): FakeServer {
  let n = 0;
  const server = new FakeServer();
  const respond = (params: Record<string, unknown>, created: boolean) => {
    n++;
    const input = params.input as { content: Array<{ text?: string }> };
    const text = input.content.map((c) => c.text ?? "").join("");
    const events: object[] = created ? [{ type: "thread.created", thread: thread("thr_1") }] : [];
    events.push(...replyEvents(`msg_u${n}`, text, `msg_a${n}`, reply));
    return sseResponse(events, { chunk: 7 });
  };
  server.on("threads.create", (p) => respond(p, true));
  server.on("threads.add_user_message", (p) => respond(p, false));
  return server;
}

describe("start screen", () => {
  test("shows the greeting and prompts; a prompt sends its message", async () => {
    const { el, server } = start(
      {
        startScreen: {
          greeting: "Ask me about data",
          prompts: [
            { label: "Summarize", prompt: "Summarize the dataframe", icon: "sparkle" },
            { label: "Plot", prompt: "Plot it", icon: "lucide:chart-line" },
          ],
        },
      },
      chatServer(),
    );
    expect(byRole(el, "heading", "Ask me about data")).toBeTruthy();
    const prompt = byRole(el, "button", "Summarize");
    expect(prompt.querySelector("svg")).toBeTruthy();
    prompt.click();
    await waitFor(() => server.ofType("threads.create").length === 1, "threads.create");
    const params = server.ofType("threads.create")[0].params as { input: Record<string, unknown> };
    expect(params.input).toEqual({
      content: [{ type: "input_text", text: "Summarize the dataframe" }],
      attachments: [],
      quoted_text: null,
      inference_options: {},
    });
    await waitFor(() => queryByRole(el, "heading", "Ask me about data") === null, "start screen hidden");
  });

  test("a prompt picked with the keyboard leaves focus in the composer (the start screen goes away)", async () => {
    const { el } = start({ startScreen: { prompts: [{ label: "Plot", prompt: "Plot it" }] } }, chatServer());
    const prompt = byRole(el, "button", "Plot");
    prompt.focus();
    prompt.click();
    expect(document.activeElement).toBe(composer(el));
    await waitFor(() => el.querySelector("[data-item-id=msg_a1]"), "answer");
  });
});

describe("sending and streaming", () => {
  test("Enter sends threads.create, the reply streams into the log as markdown", async () => {
    const { el, server, events, lite } = start({}, chatServer());
    const box = composer(el);
    type(box, "Hi there");
    const ev = press(box, "Enter");
    expect(ev.defaultPrevented).toBe(true);
    expect(box.value).toBe("");
    await waitFor(() => el.querySelector("article[aria-label=Assistant]:not([data-streaming]) strong"), "reply");
    await lite.settle();
    expect(server.ofType("threads.create")).toHaveLength(1);
    expect(server.sent[0].metadata).toEqual({});
    const articles = allByRole(log(el), "article");
    expect(articles.map((a) => a.getAttribute("aria-label"))).toEqual(["You", "Assistant"]);
    expect(articles[0].textContent).toContain("Hi there");
    expect(articles[1].textContent).toContain("Hello, world");
    expect(articles[1].querySelector("strong")?.textContent).toBe("world");
    // The optimistic message was swapped for the server's copy.
    expect(articles[0].dataset.itemId).toBe("msg_u1");
    const names = events.map((e) => e.type);
    expect(names).toContain("chatkit.ready");
    expect(names).toContain("chatkit.response.start");
    expect(names).toContain("chatkit.response.end");
    expect(events.find((e) => e.type === "chatkit.thread.change")?.detail).toEqual({ threadId: "thr_1" });

    // The next message goes to the same thread.
    type(box, "Again");
    press(box, "Enter");
    await waitFor(() => server.ofType("threads.add_user_message").length === 1, "add_user_message");
    expect(server.ofType("threads.add_user_message")[0].params).toMatchObject({
      thread_id: "thr_1",
      input: { content: [{ type: "input_text", text: "Again" }] },
    });
    await waitFor(() => allByRole(log(el), "article").length === 4, "second reply");
  });

  test("Shift+Enter does not send, the Send button does", async () => {
    const { el, server } = start({}, chatServer());
    const box = composer(el);
    type(box, "line one");
    const ev = press(box, "Enter", { shiftKey: true });
    expect(ev.defaultPrevented).toBe(false);
    expect(server.sent).toHaveLength(0);
    const send = byRole(el, "button", "Send message") as HTMLButtonElement;
    expect(send.disabled).toBe(false);
    send.click();
    await waitFor(() => server.sent.length === 1, "request");
  });

  test("Send is disabled while the composer is empty", () => {
    const { el } = start();
    expect((byRole(el, "button", "Send message") as HTMLButtonElement).disabled).toBe(true);
  });

  test("the composer's accessible name is the configured placeholder", () => {
    const { el } = start({ composer: { placeholder: "Ask the notebook" } });
    const box = composer(el, "Ask the notebook");
    expect(box.placeholder).toBe("Ask the notebook");
  });

  test("Stop aborts the fetch; the composer is usable again", async () => {
    const server = new FakeServer();
    let cancelled = false;
    server.on("threads.create", () =>
      sseResponse(
        [
          { type: "thread.created", thread: thread("thr_1") },
          { type: "thread.item.done", item: userItem("u1", "Hi") },
          { type: "stream_options", stream_options: { allow_cancel: true } },
          { type: "thread.item.added", item: assistantItem("a1", "") },
          {
            type: "thread.item.updated",
            item_id: "a1",
            update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: "Partial" },
          },
        ],
        { hang: true, onCancel: () => (cancelled = true) },
      ),
    );
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    const stop = await waitFor(() => queryByRole(el, "button", "Stop generating"), "stop button");
    await waitFor(() => el.querySelector("article[aria-label=Assistant]")?.textContent?.includes("Partial"), "partial");
    stop.click();
    expect(server.sent[0].signal?.aborted).toBe(true);
    await waitFor(() => queryByRole(el, "button", "Send message"), "send button back");
    expect(cancelled).toBe(true);
    expect(queryByRole(el, "button", "Stop generating")).toBeNull();
    expect(queryByRole(el, "alert")).toBeNull();
    // The partial answer stays, no longer marked as streaming.
    const answer = el.querySelector<HTMLElement>("article[aria-label=Assistant]")!;
    expect(answer.textContent).toContain("Partial");
    expect(answer.hasAttribute("data-streaming")).toBe(false);
    expect(composer(el).disabled).toBe(false);
  });

  test("stream_options.allow_cancel=false hides Stop", async () => {
    const server = new FakeServer();
    server.on("threads.create", () =>
      sseResponse(
        [
          { type: "thread.created", thread: thread("thr_1") },
          { type: "thread.item.done", item: userItem("u1", "Hi") },
          { type: "stream_options", stream_options: { allow_cancel: false } },
        ],
        { hang: true },
      ),
    );
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    await waitFor(() => el.querySelector("[data-item-id=u1]"), "user message");
    await waitFor(() => queryByRole(el, "button", "Stop generating") === null, "no stop");
    const send = byRole(el, "button", "Send message") as HTMLButtonElement;
    expect(send.disabled).toBe(true);
  });

  test("progress updates show in a status region until content arrives", async () => {
    const server = new FakeServer();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    server.on("threads.create", () => {
      const enc = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(enc.encode(`data: ${JSON.stringify({ type: "thread.created", thread: thread("thr_1") })}\n\n`));
          c.enqueue(enc.encode(`data: ${JSON.stringify({ type: "progress_update", icon: "search", text: "Searching the web" })}\n\n`));
          await gate;
          c.enqueue(enc.encode(`data: ${JSON.stringify({ type: "thread.item.done", item: assistantItem("a1", "Done") })}\n\n`));
          c.close();
        },
      });
      return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
    });
    const { el } = start({}, server);
    type(composer(el), "go");
    press(composer(el), "Enter");
    const status = await waitFor(() => allByRole(el, "status").find((s) => s.textContent?.includes("Searching the web")), "progress");
    expect(status.querySelector("svg")).toBeTruthy();
    release();
    await waitFor(() => !allByRole(el, "status").some((s) => s.textContent?.includes("Searching")), "progress cleared");
  });
});

describe("errors", () => {
  test("a rejected fetch shows the message and keeps the composer usable", async () => {
    const server = new FakeServer();
    let fail = true;
    server.on("threads.create", () => {
      if (fail) throw new TypeError("Comm closed: kernel restarted");
      return sseResponse([{ type: "thread.created", thread: thread("thr_1") }, ...replyEvents("u1", "Hi", "a1", ["ok"])]);
    });
    const { el, server: s, events } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    const alert = await waitFor(() => queryByRole(el, "alert"), "alert");
    expect(alert.textContent).toContain("Comm closed: kernel restarted");
    expect(events.some((e) => e.type === "chatkit.error")).toBe(true);
    // Composer still works; the retry button repeats the request.
    expect(composer(el).disabled).toBe(false);
    fail = false;
    byRole(alert, "button", "Retry").click();
    await waitFor(() => el.querySelector("[data-item-id=a1]"), "reply after retry");
    expect(s.ofType("threads.create")).toHaveLength(2);
    expect(queryByRole(el, "alert")).toBeNull();
    // One user message, not two.
    expect(allByRole(log(el), "article", "You")).toHaveLength(1);
  });

  test("Retry after a failed follow-up re-sends that message, not an older turn", async () => {
    const server = new FakeServer();
    server.on("threads.create", () =>
      sseResponse([{ type: "thread.created", thread: thread("thr_1") }, ...replyEvents("u1", "First", "a1", ["one"])]),
    );
    let fail = true;
    server.on("threads.add_user_message", () => {
      if (fail) return jsonResponse({ error: "kernel busy" }, 503);
      return sseResponse(replyEvents("u2", "Second", "a2", ["two"]));
    });
    const { el } = start({}, server);
    type(composer(el), "First");
    press(composer(el), "Enter");
    await waitFor(() => el.querySelector("[data-item-id=a1]:not([data-streaming])"), "first reply");
    await waitFor(() => queryByRole(el, "button", "Send message"), "idle");
    type(composer(el), "Second");
    press(composer(el), "Enter");
    const alert = await waitFor(() => queryByRole(el, "alert"), "alert");
    fail = false;
    byRole(alert, "button", "Retry").click();
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "second reply");
    const sent = server.ofType("threads.add_user_message");
    expect(sent).toHaveLength(2);
    expect(sent[1].params).toEqual(sent[0].params);
    expect(server.ofType("threads.retry_after_item")).toHaveLength(0);
    expect(allByRole(log(el), "article").map((a) => a.dataset.itemId)).toEqual(["u1", "a1", "u2", "a2"]);
  });

  test("an HTTP error with a JSON body shows its message", async () => {
    const server = new FakeServer();
    server.on("threads.create", () => jsonResponse({ error: "Model overloaded" }, 503));
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    const alert = await waitFor(() => queryByRole(el, "alert"), "alert");
    expect(alert.textContent).toContain("Model overloaded");
    expect((byRole(el, "button", "Send message") as HTMLButtonElement).hidden).toBe(false);
  });

  test("a {message} body and a body-less 500 are both reported", async () => {
    const server = new FakeServer();
    let n = 0;
    server.on("threads.create", () =>
      ++n === 1 ? jsonResponse({ message: "Bad request: input" }, 400) : new Response("", { status: 500 }),
    );
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    await waitFor(() => queryByRole(el, "alert")?.textContent?.includes("Bad request: input"), "400 message");
    type(composer(el), "Again");
    press(composer(el), "Enter");
    await waitFor(() => queryByRole(el, "alert")?.textContent?.includes("500"), "500 message");
  });

  test("a stream that errors mid-way shows the error and ends the response", async () => {
    const server = new FakeServer();
    server.on("threads.create", () =>
      sseResponse(
        [
          { type: "thread.created", thread: thread("thr_1") },
          { type: "thread.item.done", item: userItem("u1", "Hi") },
          { type: "thread.item.added", item: assistantItem("a1", "") },
          {
            type: "thread.item.updated",
            item_id: "a1",
            update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: "Half an ans" },
          },
        ],
        { error: new Error("Stream interrupted: 3 messages lost") },
      ),
    );
    const { el, events } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    const alert = await waitFor(() => queryByRole(el, "alert"), "alert");
    expect(alert.textContent).toContain("Stream interrupted: 3 messages lost");
    await waitFor(() => events.some((e) => e.type === "chatkit.response.end"), "response end");
    expect(el.querySelector("article[aria-label=Assistant]")?.textContent).toContain("Half an ans");
    expect(queryByRole(el, "button", "Stop generating")).toBeNull();
  });

  test("an error event with allow_retry offers Retry, which retries after the user message", async () => {
    const server = new FakeServer();
    server.on("threads.create", () =>
      sseResponse([
        { type: "thread.created", thread: thread("thr_1") },
        { type: "thread.item.done", item: userItem("u1", "Hi") },
        { type: "stream_options", stream_options: { allow_cancel: true } },
        { type: "error", code: "stream.error", allow_retry: true },
      ]),
    );
    server.on("threads.retry_after_item", () => sseResponse([{ type: "thread.item.done", item: assistantItem("a1", "Second try") }]));
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    const alert = await waitFor(() => queryByRole(el, "alert"), "alert");
    expect(alert.textContent).toContain("An error occurred when generating a response.");
    byRole(alert, "button", "Retry").click();
    await waitFor(() => el.querySelector("[data-item-id=a1]"), "retried reply");
    expect(server.ofType("threads.retry_after_item")[0].params).toEqual({ thread_id: "thr_1", item_id: "u1" });
  });

  test("a custom error without allow_retry has no Retry button", async () => {
    const server = new FakeServer();
    server.on("threads.create", () =>
      sseResponse([
        { type: "thread.created", thread: thread("thr_1") },
        { type: "error", code: "custom", message: "You are out of credits", allow_retry: false },
      ]),
    );
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    const alert = await waitFor(() => queryByRole(el, "alert"), "alert");
    expect(alert.textContent).toContain("You are out of credits");
    expect(queryByRole(alert, "button", "Retry")).toBeNull();
  });
});

describe("per-response actions", () => {
  test("feedback sends items.feedback; retry sends threads.retry_after_item", async () => {
    const server = chatServer(["Answer"]);
    server.on("items.feedback", () => jsonResponse({}));
    server.on("threads.retry_after_item", () => sseResponse([{ type: "thread.item.done", item: assistantItem("a2", "Better answer") }]));
    const { el } = start({ threadItemActions: { feedback: true, retry: true } }, server);
    type(composer(el), "Q");
    press(composer(el), "Enter");
    const up = await waitFor(() => queryByRole(el, "button", "Good response"), "feedback button");
    up.click();
    await waitFor(() => server.ofType("items.feedback").length === 1, "feedback");
    expect(server.ofType("items.feedback")[0].params).toEqual({
      thread_id: "thr_1",
      item_ids: ["msg_a1"],
      kind: "positive",
    });
    expect(up.getAttribute("aria-pressed")).toBe("true");
    byRole(el, "button", "Bad response").click();
    await waitFor(() => server.ofType("items.feedback").length === 2, "negative feedback");
    expect(server.ofType("items.feedback")[1].params).toMatchObject({ kind: "negative" });

    byRole(el, "button", "Retry").click();
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "new answer");
    expect(server.ofType("threads.retry_after_item")[0].params).toEqual({ thread_id: "thr_1", item_id: "msg_u1" });
    // The old answer is gone, the new one is there.
    expect(el.querySelector("[data-item-id=msg_a1]")).toBeNull();
    expect(queryByRole(el, "button", "Copy")).toBeTruthy();
  });

  test("feedback that fails is not shown as given", async () => {
    const server = chatServer(["Answer"]);
    server.on("items.feedback", () => jsonResponse({ error: "feedback store offline" }, 500));
    const { el } = start({ threadItemActions: { feedback: true } }, server);
    type(composer(el), "Q");
    press(composer(el), "Enter");
    const up = await waitFor(() => queryByRole(el, "button", "Good response"), "feedback button");
    up.click();
    await waitFor(() => queryByRole(el, "alert"), "error");
    expect(byRole(el, "alert").textContent).toContain("feedback store offline");
    expect(up.getAttribute("aria-pressed")).toBe("false");
  });

  test("without threadItemActions there are no feedback or retry buttons", async () => {
    const { el } = start({}, chatServer(["Answer"]));
    type(composer(el), "Q");
    press(composer(el), "Enter");
    await waitFor(() => queryByRole(el, "button", "Copy"), "copy button");
    expect(queryByRole(el, "button", "Good response")).toBeNull();
    expect(queryByRole(el, "button", "Retry")).toBeNull();
  });
});

describe("keyboard focus in the composer", () => {
  test("sending with the Send button keeps focus in the composer", async () => {
    const { el } = start({}, chatServer(["Answer"]));
    type(composer(el), "Q");
    const send = byRole(el, "button", "Send message");
    send.focus();
    send.click();
    // Send is disabled (empty, busy) right away: focus on it would be stranded.
    expect(document.activeElement).toBe(composer(el));
    await waitFor(() => el.querySelector("[data-item-id=msg_a1]"), "answer");
  });

  test("Stop that goes away when the response ends hands focus to the composer", async () => {
    const server = new FakeServer();
    const stream = controlledStream();
    server.on("threads.create", () => stream.response);
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    stream.push(
      { type: "thread.created", thread: thread("thr_1") },
      { type: "thread.item.done", item: userItem("u1", "Hi") },
      { type: "stream_options", stream_options: { allow_cancel: true } },
    );
    const stop = await waitFor(() => queryByRole(el, "button", "Stop generating"), "stop button");
    stop.focus();
    stream.push({ type: "thread.item.done", item: assistantItem("a1", "Done") });
    stream.close();
    await waitFor(() => queryByRole(el, "button", "Stop generating") === null, "stop gone");
    expect(document.activeElement).toBe(composer(el));
  });
});

describe("keyboard focus in the header", () => {
  test("a new thread title does not take focus off a header button", async () => {
    const server = new FakeServer();
    const stream = controlledStream();
    server.on("threads.create", () => stream.response);
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    stream.push({ type: "thread.created", thread: thread("thr_1") }, { type: "thread.item.done", item: userItem("u1", "Hi") });
    byRole(el, "button", "History").focus();
    stream.push({ type: "thread.updated", thread: thread("thr_1", { title: "Greetings" }) });
    await waitFor(() => queryByRole(el, "heading", "Greetings"), "new title");
    expect(document.activeElement).toBe(byRole(el, "button", "History"));
    stream.close();
  });
});

describe("Retry while a response streams", () => {
  test("an earlier turn's Retry is disabled until the response ends (it did nothing)", async () => {
    const server = chatServer(["Answer"]);
    const stream = controlledStream();
    const { el } = start({ threadItemActions: { retry: true } }, server);
    type(composer(el), "Q");
    press(composer(el), "Enter");
    const retry = (await waitFor(() => queryByRole(el, "button", "Retry"), "retry button")) as HTMLButtonElement;
    server.on("threads.add_user_message", () => stream.response);
    type(composer(el), "Q2");
    press(composer(el), "Enter");
    await waitFor(() => retry.disabled, "retry disabled while busy");
    stream.push({ type: "thread.item.done", item: assistantItem("a2", "Second") });
    stream.close();
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "second answer");
    await waitFor(() => !retry.disabled, "retry enabled again");
  });
});

describe("keyboard focus after Retry", () => {
  test("Retry in an error alert leaves focus in the composer, not on the page", async () => {
    const server = new FakeServer();
    server.on("threads.create", () =>
      sseResponse([
        { type: "thread.created", thread: thread("thr_1") },
        { type: "thread.item.done", item: userItem("u1", "Hi") },
        { type: "error", code: "stream.error", allow_retry: true },
      ]),
    );
    server.on("threads.retry_after_item", () => sseResponse([{ type: "thread.item.done", item: assistantItem("a1", "Second try") }]));
    const { el } = start({}, server);
    type(composer(el), "Hi");
    press(composer(el), "Enter");
    const retry = byRole(await waitFor(() => queryByRole(el, "alert"), "alert"), "button", "Retry");
    retry.focus();
    retry.click();
    // The button (and its alert) are gone; a keyboard user must not be dropped to <body>.
    expect(document.activeElement).toBe(composer(el));
    await waitFor(() => el.querySelector("[data-item-id=a1]"), "retried reply");
  });

  test("Retry after a response leaves focus in the composer", async () => {
    const server = chatServer(["Answer"]);
    server.on("threads.retry_after_item", () => sseResponse([{ type: "thread.item.done", item: assistantItem("a2", "Better") }]));
    const { el } = start({ threadItemActions: { retry: true } }, server);
    type(composer(el), "Q");
    press(composer(el), "Enter");
    const retry = await waitFor(() => queryByRole(el, "button", "Retry"), "retry button");
    retry.focus();
    retry.click();
    expect(document.activeElement).toBe(composer(el));
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "new answer");
  });
});

describe("scrolling", () => {
  test("follows the stream at the bottom and leaves a user who scrolled up alone", async () => {
    const server = new FakeServer();
    const stream = controlledStream();
    server.on("threads.create", () => stream.response);
    const { el, lite } = start({}, server);
    // happy-dom has no layout: give the scroller one.
    const scroller = el.querySelector<HTMLElement>(".ckl-scroll")!;
    let height = 1000;
    let top = 0;
    Object.defineProperty(scroller, "scrollHeight", { get: () => height, configurable: true });
    Object.defineProperty(scroller, "clientHeight", { get: () => 200, configurable: true });
    Object.defineProperty(scroller, "scrollTop", {
      get: () => top,
      set: (v: number) => (top = Math.max(0, Math.min(v, height - 200))),
      configurable: true,
    });
    const delta = (text: string) => ({
      type: "thread.item.updated",
      item_id: "a1",
      update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: text },
    });
    type(composer(el), "Long answer please");
    press(composer(el), "Enter");
    expect(top).toBe(800); // your own message is brought into view
    stream.push({ type: "thread.created", thread: thread("thr_1") }, { type: "thread.item.done", item: userItem("u1", "x") });
    stream.push({ type: "thread.item.added", item: assistantItem("a1", "") });
    height = 1500;
    stream.push(delta("one "));
    await waitFor(() => top === 1300, "followed the stream");

    // The user scrolls up: the view stops following and offers a way back.
    top = 100;
    scroller.dispatchEvent(new Event("scroll"));
    const back = byRole(el, "button", "Scroll to bottom");
    height = 2000;
    stream.push(delta("two "));
    await waitFor(() => el.querySelector("[data-item-id=a1]")?.textContent?.includes("two"), "second delta");
    await lite.settle();
    expect(top).toBe(100);

    back.focus();
    back.click();
    expect(top).toBe(1800);
    // The button hides itself; a keyboard user lands in the composer, not on <body>.
    expect(document.activeElement).toBe(composer(el));
    height = 2500;
    stream.push(delta("three"));
    await waitFor(() => top === 2300, "following again");
    stream.close();
  });

  test("a scroll away from the bottom stops following whatever made it (find-in-page, scrollIntoView, a screen reader)", async () => {
    const server = new FakeServer();
    const stream = controlledStream();
    server.on("threads.create", () => stream.response);
    const { el, lite } = start({}, server);
    const scroller = el.querySelector<HTMLElement>(".ckl-scroll")!;
    let height = 1000;
    let top = 0;
    Object.defineProperty(scroller, "scrollHeight", { get: () => height, configurable: true });
    Object.defineProperty(scroller, "clientHeight", { get: () => 200, configurable: true });
    Object.defineProperty(scroller, "scrollTop", {
      get: () => top,
      set: (v: number) => (top = Math.max(0, Math.min(v, height - 200))),
      configurable: true,
    });
    const delta = (text: string) => ({
      type: "thread.item.updated",
      item_id: "a1",
      update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: text },
    });
    type(composer(el), "Long answer please");
    press(composer(el), "Enter");
    stream.push({ type: "thread.created", thread: thread("thr_1") }, { type: "thread.item.done", item: userItem("u1", "x") });
    stream.push({ type: "thread.item.added", item: assistantItem("a1", "") });
    height = 1500;
    stream.push(delta("one "));
    await waitFor(() => top === 1300, "followed the stream");

    // No wheel, key, touch or pointer: the page itself scrolls an earlier message into view
    // (find-in-page, `scrollIntoView`, a screen reader's virtual cursor). It stays in view.
    top = 400;
    scroller.dispatchEvent(new Event("scroll"));
    expect(top).toBe(400);
    const back = byRole(el, "button", "Scroll to bottom");
    expect(back.hidden).toBe(false);
    height = 2000;
    stream.push(delta("two "));
    await waitFor(() => el.querySelector("[data-item-id=a1]")?.textContent?.includes("two"), "second delta");
    await lite.settle();
    expect(top).toBe(400);

    // Scrolling back near the bottom (any way) follows again.
    top = 1790;
    scroller.dispatchEvent(new Event("scroll"));
    expect(back.hidden).toBe(true);
    height = 2500;
    stream.push(delta("three"));
    await waitFor(() => top === 2300, "following again");
    stream.close();
  });
});
