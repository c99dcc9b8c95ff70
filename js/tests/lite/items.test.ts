import { afterEach, describe, expect, test, vi } from "vitest";
import {
  allByRole,
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
  press,
  queryByRole,
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

/** Mounts with a server that answers the first message with `events` (after thread.created). */
function startWith(events: object[], options: Record<string, unknown> = {}, server = new FakeServer()): Mounted {
  server.on("threads.create", () =>
    sseResponse([{ type: "thread.created", thread: thread("thr_1") }, { type: "thread.item.done", item: userItem("u1", "Hi") }, ...events]),
  );
  mounted = mount(options, server);
  type(composer(mounted.el), "Hi");
  press(composer(mounted.el), "Enter");
  return mounted;
}

const done = (it: object) => ({ type: "thread.item.done", item: it });
const added = (it: object) => ({ type: "thread.item.added", item: it });
const updated = (id: string, update: object) => ({ type: "thread.item.updated", item_id: id, update });

describe("assistant content", () => {
  test("hostile markdown is sanitized: no script, no event handlers, no javascript: links", async () => {
    const hostile = [
      "# Title",
      "<script>window.__pwned = 1</script>",
      '<img src="x" onerror="window.__pwned = 2">',
      "[click](javascript:alert(1)) and [ok](https://example.org)",
      '<a href="javascript:alert(3)">raw</a>',
      "![pic](javascript:alert(4))",
      '<iframe src="https://evil.example"></iframe>',
    ].join("\n\n");
    const { el } = startWith([done(assistantItem("a1", hostile))]);
    const answer = await waitFor(() => el.querySelector<HTMLElement>("[data-item-id=a1]"), "answer");
    const html = answer.innerHTML;
    expect(answer.querySelector("script, iframe")).toBeNull();
    expect(answer.querySelector("[onerror], [onclick], [onload]")).toBeNull();
    for (const a of Array.from(answer.querySelectorAll("a"))) {
      expect(a.getAttribute("href") ?? "").not.toMatch(/^\s*javascript:/i);
    }
    for (const img of Array.from(answer.querySelectorAll("img"))) {
      expect(img.getAttribute("src") ?? "").not.toMatch(/^\s*javascript:/i);
    }
    expect(html).not.toMatch(/<script/i);
    expect(byRole(answer, "link", "ok").getAttribute("href")).toBe("https://example.org");
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  test("annotations become a sources list with safe links only", async () => {
    const annotations = [
      { type: "annotation", source: { type: "url", url: "https://docs.python.org/3/", title: "Python docs" }, index: 5 },
      { type: "annotation", source: { type: "url", url: "javascript:alert(1)", title: "Evil" }, index: 6 },
      { type: "annotation", source: { type: "url", url: "https://docs.python.org/3/", title: "Python docs" }, index: 9 },
      { type: "annotation", source: { type: "file", filename: "data.csv", title: "data.csv" } },
    ];
    const { el } = startWith([
      added(assistantItem("a1", "")),
      updated("a1", { type: "assistant_message.content_part.text_delta", content_index: 0, delta: "See the docs." }),
      updated("a1", {
        type: "assistant_message.content_part.annotation_added",
        content_index: 0,
        annotation_index: 0,
        annotation: annotations[0],
      }),
      done(assistantItem("a1", "See the docs.", "thr_1", annotations)),
    ]);
    const sources = await waitFor(() => queryByRole(el, "region", "Sources"), "sources");
    const items = allByRole(sources, "listitem");
    expect(items.map((li) => li.textContent)).toEqual(["Python docs", "Evil", "data.csv"]);
    const link = byRole(sources, "link", "Python docs");
    expect(link.getAttribute("href")).toBe("https://docs.python.org/3/");
    expect(link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(link.getAttribute("target")).toBe("_blank");
    expect(queryByRole(sources, "link", "Evil")).toBeNull();
  });

  test("code blocks get a copy button", async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { el } = startWith([done(assistantItem("a1", "Run:\n\n```python\nprint('hi')\n```"))]);
    const copy = await waitFor(() => queryByRole(el, "button", "Copy code"), "copy code");
    expect(el.querySelector("pre code")?.textContent).toContain("print('hi')");
    copy.click();
    await waitFor(() => writeText.mock.calls.length === 1, "clipboard");
    expect(writeText.mock.calls[0]).toEqual(["print('hi')\n"]);
  });

  test("a copy shows a check mark and is announced", async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { el } = startWith([done(assistantItem("a1", "Run:\n\n```python\nprint('hi')\n```"))]);
    const copy = await waitFor(() => queryByRole(el, "button", "Copy code"), "copy code");
    const before = copy.querySelector("svg")?.outerHTML;
    copy.click();
    await waitFor(() => writeText.mock.calls.length === 1, "clipboard");
    await waitFor(() => copy.getAttribute("aria-label") === "Copied", "copied");
    // Seen: the icon changes. Heard: a name change on a focused button is not read out.
    expect(copy.querySelector("svg")?.outerHTML).not.toBe(before);
    expect(allByRole(el, "status").some((s) => s.textContent === "Copied")).toBe(true);
  });

  test("multiple content parts and content_part.added/done", async () => {
    const { el } = startWith([
      added(assistantItem("a1", "")),
      updated("a1", {
        type: "assistant_message.content_part.added",
        content_index: 1,
        content: { type: "output_text", text: "Second", annotations: [] },
      }),
      updated("a1", { type: "assistant_message.content_part.text_delta", content_index: 0, delta: "First" }),
      updated("a1", {
        type: "assistant_message.content_part.done",
        content_index: 1,
        content: { type: "output_text", text: "Second part", annotations: [] },
      }),
    ]);
    const answer = await waitFor(() => el.querySelector<HTMLElement>("[data-item-id=a1]:not([data-streaming])"), "answer");
    const parts = answer.querySelectorAll(".ckl-part");
    expect(Array.from(parts).map((p) => p.textContent?.trim())).toEqual(["First", "Second part"]);
  });
});

describe("stream events", () => {
  test("client_effect dispatches chatkit.effect; notices show; hidden items stay hidden", async () => {
    const { el, events } = startWith([
      { type: "client_effect", name: "highlight", data: { cell: 3 } },
      { type: "notice", level: "warning", title: "Heads up", message: "You have **3** messages left." },
      done(item("hidden_context_item", "h1", { content: "secret" })),
      done(item("sdk_hidden_context", "h2", { content: "secret too" })),
      done(assistantItem("a1", "ok")),
      done(item("end_of_turn", "e1", {})),
    ]);
    await waitFor(() => el.querySelector("[data-item-id=a1]"), "answer");
    expect(events.find((e) => e.type === "chatkit.effect")?.detail).toEqual({ name: "highlight", data: { cell: 3 } });
    const notice = allByRole(el, "status").find((s) => s.textContent?.includes("Heads up"));
    expect(notice?.querySelector("strong")?.textContent).toBe("3");
    expect(el.textContent).not.toContain("secret");
    expect(el.querySelector("[data-item-id=h1], [data-item-id=h2]")).toBeNull();
    expect(allByRole(log(el), "article")).toHaveLength(2);
  });

  test("thread.item.removed and thread.item.replaced update the log", async () => {
    const { el } = startWith([
      done(assistantItem("a1", "to be removed")),
      done(assistantItem("a2", "original")),
      { type: "thread.item.removed", item_id: "a1" },
      { type: "thread.item.replaced", item: assistantItem("a2", "replaced text") },
    ]);
    await waitFor(() => el.querySelector("[data-item-id=a2]")?.textContent?.includes("replaced text"), "replaced");
    expect(el.querySelector("[data-item-id=a1]")).toBeNull();
  });

  test("thread.updated sets the header title; a locked thread disables the composer", async () => {
    const { el } = startWith([
      done(assistantItem("a1", "ok")),
      { type: "thread.updated", thread: thread("thr_1", { title: "Sales analysis", status: { type: "locked", reason: "Read only" } }) },
    ]);
    await waitFor(() => queryByRole(el, "heading", "Sales analysis"), "title");
    await waitFor(() => composer(el).disabled, "locked");
    expect(allByRole(el, "status").some((s) => s.textContent === "Read only")).toBe(true);
  });
});

describe("client tools", () => {
  test("runs onClientTool, posts threads.add_client_tool_output and renders what streams back", async () => {
    const server = new FakeServer();
    server.on("threads.add_client_tool_output", () =>
      sseResponse([
        { type: "stream_options", stream_options: { allow_cancel: true } },
        done(assistantItem("a2", "The selection has 2 cells.")),
      ]),
    );
    const onClientTool = vi.fn(async ({ name, params }: { name: string; params: Record<string, unknown> }) => ({
      tool: name,
      cells: [1, 2],
      echo: params,
    }));
    const { el, server: s } = startWith(
      [
        { type: "stream_options", stream_options: { allow_cancel: true } },
        done(
          item("client_tool_call", "tc1", {
            status: "pending",
            call_id: "call_1",
            name: "get_selection",
            arguments: { notebook: "a.ipynb" },
          }),
        ),
      ],
      { onClientTool },
      server,
    );
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "reply after tool");
    expect(onClientTool).toHaveBeenCalledWith({ name: "get_selection", params: { notebook: "a.ipynb" } });
    expect(s.ofType("threads.add_client_tool_output")[0].params).toEqual({
      thread_id: "thr_1",
      result: { tool: "get_selection", cells: [1, 2], echo: { notebook: "a.ipynb" } },
    });
    expect(el.querySelector("[data-item-id=a2]")?.textContent).toContain("2 cells");
  });

  test("the spinner stops when the tool returns, and a failure stays visible", async () => {
    let finish: (value: Record<string, unknown>) => void = () => undefined;
    const server = new FakeServer();
    server.on("threads.add_client_tool_output", () => sseResponse([done(assistantItem("a2", "ok"))]));
    const { el } = startWith(
      [done(item("client_tool_call", "tc1", { status: "pending", call_id: "c", name: "pick", arguments: {} }))],
      { onClientTool: () => new Promise<Record<string, unknown>>((resolve) => (finish = resolve)) },
      server,
    );
    const running = await waitFor(() => el.querySelector<HTMLElement>("[data-item-id=tc1]"), "tool item");
    expect(running.hidden).toBe(false);
    expect(running.textContent).toBe("Running pick…");
    finish({ rows: [1] });
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "reply");
    const ran = el.querySelector<HTMLElement>("[data-item-id=tc1]")!;
    expect(ran.hidden).toBe(true); // no spinner left behind
    expect(ran.querySelector(".ckl-spin, [data-icon=spinner]")).toBeNull();

    const failing = new FakeServer();
    failing.on("threads.add_client_tool_output", () => sseResponse([done(assistantItem("a3", "sorry"))]));
    unmountAll();
    const second = startWith(
      [done(item("client_tool_call", "tc2", { status: "pending", call_id: "c", name: "boom", arguments: {} }))],
      { onClientTool: () => Promise.reject(new Error("no kernel")) },
      failing,
    );
    await waitFor(() => second.el.querySelector("[data-item-id=a3]"), "reply");
    const failed = second.el.querySelector<HTMLElement>("[data-item-id=tc2]")!;
    expect(failed.hidden).toBe(false);
    expect(failed.textContent).toBe("boom failed");
  });

  test("a failing tool still answers the server, with the error", async () => {
    const server = new FakeServer();
    server.on("threads.add_client_tool_output", () => sseResponse([done(assistantItem("a2", "ok"))]));
    const { el, server: s } = startWith(
      [done(item("client_tool_call", "tc1", { status: "pending", call_id: "c", name: "boom", arguments: {} }))],
      { onClientTool: () => Promise.reject(new Error("no kernel")) },
      server,
    );
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "reply");
    expect(s.ofType("threads.add_client_tool_output")[0].params).toEqual({ thread_id: "thr_1", result: { error: "no kernel" } });
    expect(queryByRole(el, "alert")?.textContent).toContain("no kernel");
  });
});

describe("widgets", () => {
  const card = {
    type: "Card",
    children: [
      { type: "Text", id: "status", value: "Pending" },
      { type: "Button", label: "Approve", onClickAction: { type: "approve", payload: { id: 7 } } },
      { type: "Button", label: "Open", onClickAction: { type: "open_doc", handler: "client", payload: { doc: "x" } } },
    ],
  };

  test("server actions POST threads.custom_action; client actions go to widgets.onAction", async () => {
    const server = new FakeServer();
    server.on("threads.custom_action", () =>
      sseResponse([
        updated("w1", { type: "widget.root.updated", widget: { ...card, children: [{ type: "Text", id: "status", value: "Approved" }] } }),
      ]),
    );
    const onAction = vi.fn(async () => undefined);
    const { el, server: s } = startWith([done(item("widget", "w1", { widget: card }))], { widgets: { onAction } }, server);
    const approve = await waitFor(() => queryByRole(el, "button", "Approve"), "widget button");
    await waitFor(() => !composer(el).disabled && queryByRole(el, "button", "Send message"), "idle");
    approve.click();
    await waitFor(() => s.ofType("threads.custom_action").length === 1, "custom_action");
    expect(s.ofType("threads.custom_action")[0].params).toEqual({
      thread_id: "thr_1",
      item_id: "w1",
      action: { type: "approve", payload: { id: 7 } },
    });
    await waitFor(() => el.querySelector("[data-item-id=w1]")?.textContent?.includes("Approved"), "widget updated");

    // Rebuild with the client action still there.
    mounted?.lite.destroy();
    mounted?.el.remove();
    const again = startWith([done(item("widget", "w2", { widget: card }))], { widgets: { onAction } });
    const open = await waitFor(() => queryByRole(again.el, "button", "Open"), "client button");
    open.click();
    await waitFor(() => onAction.mock.calls.length === 1, "onAction");
    expect(onAction.mock.calls[0]).toEqual([
      { type: "open_doc", payload: { doc: "x" } },
      { id: "w2", widget: card },
    ]);
    expect(again.server.ofType("threads.custom_action")).toHaveLength(0);
  });

  test("streamed widget text and component updates are applied", async () => {
    const widget = {
      type: "Card",
      children: [
        { type: "Markdown", id: "md", value: "Draft: ", streaming: true },
        { type: "Text", id: "t", value: "old" },
      ],
    };
    const { el } = startWith([
      added(item("widget", "w1", { widget })),
      updated("w1", { type: "widget.streaming_text.value_delta", component_id: "md", delta: "Dear ", done: false }),
      updated("w1", { type: "widget.streaming_text.value_delta", component_id: "md", delta: "Harry", done: true }),
      updated("w1", { type: "widget.component.updated", component_id: "t", component: { type: "Text", id: "t", value: "new" } }),
    ]);
    await waitFor(() => el.querySelector("[data-item-id=w1]")?.textContent?.includes("Dear Harry"), "streamed text");
    await waitFor(() => el.querySelector("[data-item-id=w1]")?.textContent?.includes("new"), "component update");
    expect(el.querySelector("[data-item-id=w1]")?.textContent).not.toContain("old");
  });

  test("sync actions (streaming: false) use threads.sync_custom_action and replace the item", async () => {
    const server = new FakeServer();
    const w = { type: "Card", children: [{ type: "Button", label: "Toggle", onClickAction: { type: "toggle", streaming: false } }] };
    server.on("threads.sync_custom_action", () =>
      jsonResponse({ updated_item: item("widget", "w1", { widget: { type: "Card", children: [{ type: "Text", value: "Toggled" }] } }) }),
    );
    const { el, server: s } = startWith([done(item("widget", "w1", { widget: w }))], {}, server);
    const btn = await waitFor(() => queryByRole(el, "button", "Toggle"), "button");
    await waitFor(() => queryByRole(el, "button", "Send message"), "idle");
    btn.click();
    await waitFor(() => el.querySelector("[data-item-id=w1]")?.textContent?.includes("Toggled"), "replaced");
    expect(s.ofType("threads.sync_custom_action")[0].params).toEqual({ thread_id: "thr_1", item_id: "w1", action: { type: "toggle" } });
  });
});

describe("tasks, workflows, images, structured input", () => {
  test("workflow items are collapsible with summaries and streamed tasks", async () => {
    const { el } = startWith([
      added(item("workflow", "wf1", { workflow: { type: "reasoning", tasks: [], expanded: false } })),
      updated("wf1", {
        type: "workflow.task.added",
        task_index: 0,
        task: { type: "thought", title: "Reading the data", content: "Looking at **columns**" },
      }),
      updated("wf1", {
        type: "workflow.task.added",
        task_index: 1,
        task: {
          type: "web_search",
          title_query: "pandas groupby",
          queries: ["pandas groupby"],
          sources: [{ type: "url", url: "https://pandas.pydata.org", title: "pandas" }],
        },
      }),
      done(
        item("workflow", "wf1", {
          workflow: {
            type: "reasoning",
            expanded: false,
            summary: { duration: 12 },
            tasks: [
              { type: "thought", title: "Reading the data", content: "Looking at **columns**" },
              {
                type: "web_search",
                title_query: "pandas groupby",
                queries: ["pandas groupby"],
                sources: [{ type: "url", url: "https://pandas.pydata.org", title: "pandas" }],
              },
            ],
          },
        }),
      ),
      done(item("task", "t1", { task: { type: "custom", title: "Loaded 3 files", icon: "document", content: "a.csv, b.csv" } })),
    ]);
    // The workflow re-renders as tasks stream in: look it up afresh each time.
    const current = await waitFor(() => {
      const wf = el.querySelector<HTMLDetailsElement>("details[data-item-id=wf1]");
      return wf?.querySelector("summary")?.textContent === "Thought for 12 s" ? wf : null;
    }, "summary");
    await waitFor(() => el.querySelector("[data-item-id=t1]"), "task");
    expect(current.open).toBe(false);
    expect(current.textContent).toContain("Reading the data");
    expect(current.textContent).toContain("Searched for pandas groupby");
    expect(current.querySelector("strong")?.textContent).toBe("columns");
    expect(current.querySelector("a")?.getAttribute("href")).toBe("https://pandas.pydata.org");
    const task = el.querySelector<HTMLDetailsElement>("details[data-item-id=t1]")!;
    expect(task.querySelector("summary")?.textContent).toBe("Loaded 3 files");
    expect(task.textContent).toContain("a.csv, b.csv");
  });

  test("tool calls stream into an open workflow that collapses into its summary", async () => {
    const stream = controlledStream();
    const server = new FakeServer();
    server.on("threads.create", () => stream.response);
    mounted = mount({}, server);
    type(composer(mounted.el), "Hi");
    press(composer(mounted.el), "Enter");
    const { el } = mounted;
    const call = { type: "custom", title: "lookup", icon: "bolt", content: '```\n{"city": "Oslo"}\n```', status_indicator: "loading" };
    stream.push(
      { type: "thread.created", thread: thread("thr_1") },
      added(item("workflow", "wf1", { workflow: { type: "custom", tasks: [call], expanded: true } })),
    );
    const open = await waitFor(() => el.querySelector<HTMLDetailsElement>("details[data-item-id=wf1]"), "workflow");
    expect(open.open).toBe(true); // shown as it happens
    expect(open.textContent).toContain("lookup");
    expect(open.textContent).toContain('"city": "Oslo"');
    const finished = {
      ...call,
      title: "lookup · 12 ms",
      content: "```\nargs\n```\n\n→ ```\n12 degrees\n```",
      status_indicator: "complete",
    };
    stream.push(updated("wf1", { type: "workflow.task.updated", task_index: 0, task: finished }));
    await waitFor(() => el.querySelector("details[data-item-id=wf1]")?.textContent?.includes("12 degrees"), "result");
    stream.push(
      done(
        item("workflow", "wf1", {
          workflow: { type: "custom", tasks: [finished], expanded: false, summary: { title: "Used lookup", icon: "bolt" } },
        }),
      ),
      done(assistantItem("a1", "It is 12 degrees.")),
    );
    stream.close();
    const collapsed = await waitFor(() => {
      const wf = el.querySelector<HTMLDetailsElement>("details[data-item-id=wf1]");
      return wf?.querySelector("summary")?.textContent === "Used lookup" ? wf : null;
    }, "summary");
    expect(collapsed.open).toBe(false);
    expect(collapsed.textContent).toContain("lookup · 12 ms");
  });

  test("generated images show progress, then the image (safe URLs only)", async () => {
    const { el } = startWith([
      added(item("generated_image", "g1", {})),
      updated("g1", { type: "generated_image.updated", image: { id: "i", url: "" }, progress: 0.5 }),
      done(item("generated_image", "g1", { image: { id: "i", url: "https://img.example/cat.png" } })),
      done(item("generated_image", "g2", { image: { id: "j", url: "javascript:alert(1)" } })),
    ]);
    const img = await waitFor(() => el.querySelector<HTMLImageElement>("[data-item-id=g1] img"), "image");
    expect(img.getAttribute("src")).toBe("https://img.example/cat.png");
    expect(img.getAttribute("alt")).toBe("Generated image");
    await waitFor(() => el.querySelector("[data-item-id=g2]"), "blocked image");
    expect(el.querySelector("[data-item-id=g2] img")).toBeNull();
  });

  test("structured input: multiple choice + free text, answered with threads.add_structured_input", async () => {
    const server = new FakeServer();
    const pending = item("structured_input", "si1", {
      status: "pending",
      inputs: [
        { type: "multiple_choice", id: "q1", question: "Which chart?", options: [{ value: "Bar" }, { value: "Line" }], multiple: false },
        { type: "freeform", id: "q2", question: "Any title?", description: "Optional" },
      ],
    });
    server.on("threads.add_structured_input", () =>
      sseResponse([
        {
          type: "thread.item.replaced",
          item: {
            ...pending,
            status: "answered",
            inputs: [
              {
                type: "multiple_choice",
                id: "q1",
                question: "Which chart?",
                options: [{ value: "Bar" }, { value: "Line" }],
                answer: { values: ["Line"] },
              },
              { type: "freeform", id: "q2", question: "Any title?", answer: { values: ["Revenue"] } },
            ],
          },
        },
        done(assistantItem("a9", "Drawing a line chart.")),
      ]),
    );
    const { el, server: s } = startWith([done(pending)], {}, server);
    const line = await waitFor(() => el.querySelector<HTMLInputElement>("[data-item-id=si1] input[value=Line]"), "options");
    await waitFor(() => queryByRole(el, "button", "Send message"), "idle");
    line.click();
    const title = byRole(el, "textbox", "Any title?") as HTMLTextAreaElement;
    title.value = "Revenue";
    byRole(el, "button", "Submit").click();
    await waitFor(() => el.querySelector("[data-item-id=a9]"), "answer");
    expect(s.ofType("threads.add_structured_input")[0].params).toEqual({
      thread_id: "thr_1",
      item_id: "si1",
      input: { status: "answered", answers: { q1: { values: ["Line"], skipped: false }, q2: { values: ["Revenue"], skipped: false } } },
    });
    const answered = el.querySelector("[data-item-id=si1]")!;
    expect(answered.textContent).toContain("Line");
    expect(answered.querySelector("form")).toBeNull();
  });
});

describe("user messages", () => {
  test("show tags and attachments", async () => {
    const server = new FakeServer();
    server.on("threads.get_by_id", () =>
      jsonResponse(
        thread("thr_9", {
          items: {
            data: [
              userItem("u1", "", "thr_9", {
                content: [
                  { type: "input_text", text: "Compare " },
                  { type: "input_tag", id: "df1", text: "sales_df", data: {}, interactive: true },
                ],
                attachments: [
                  { type: "image", id: "att1", name: "chart.png", mime_type: "image/png", preview_url: "https://files.example/chart.png" },
                  { type: "file", id: "att2", name: "notes.txt", mime_type: "text/plain" },
                ],
              }),
            ],
            has_more: false,
          },
        }),
      ),
    );
    const onClick = vi.fn();
    mounted = mount({ initialThread: "thr_9", entities: { onClick } }, server);
    const { el } = mounted;
    const tag = await waitFor(() => queryByRole(el, "button", "@sales_df"), "tag");
    tag.click();
    expect(onClick).toHaveBeenCalledWith(expect.objectContaining({ id: "df1", title: "sales_df" }));
    const list = byRole(el, "list", "Attachment");
    expect(list.textContent).toContain("notes.txt");
    expect(list.querySelector("img")?.getAttribute("src")).toBe("https://files.example/chart.png");
  });
});
