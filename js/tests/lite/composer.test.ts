import type { Command } from "@openai/chatkit";
import { afterEach, describe, expect, test, vi } from "vitest";
import { acceptsFile, sizeLimit } from "../../src/lite/view/composer/files";
import {
  allByRole,
  byRole,
  composer,
  FakeServer,
  jsonResponse,
  type Mounted,
  mount,
  press,
  queryByRole,
  replyEvents,
  sseResponse,
  thread,
  type,
  unmountAll,
  waitFor,
} from "./harness";

let mounted: Mounted | null = null;
afterEach(() => {
  unmountAll();
  mounted = null;
});

function echoServer(): FakeServer {
  const server = new FakeServer();
  server.on("threads.create", () =>
    sseResponse([{ type: "thread.created", thread: thread("thr_1") }, ...replyEvents("u1", "x", "a1", ["ok"])]),
  );
  server.on("threads.add_user_message", () => sseResponse(replyEvents("u2", "x", "a2", ["ok"])));
  return server;
}

function input(sent: { params: Record<string, unknown> }) {
  return sent.params.input as {
    content: unknown[];
    attachments: string[];
    inference_options: Record<string, unknown>;
  };
}

describe("tools and models", () => {
  test("selected tool and model travel as inference_options; non-persistent tools clear", async () => {
    mounted = mount(
      {
        composer: {
          placeholder: "Ask",
          tools: [
            {
              id: "search",
              label: "Search the web",
              shortLabel: "Search",
              icon: "globe",
              pinned: true,
              placeholderOverride: "Search for…",
            },
            { id: "plot", label: "Make a plot", icon: "chart", persistent: true },
          ],
          models: [
            { id: "gpt-small", label: "Small" },
            { id: "gpt-large", label: "Large", default: true },
            { id: "gpt-off", label: "Off", disabled: true },
          ],
        },
      },
      echoServer(),
    );
    const { el, server, events } = mounted;
    const model = byRole(el, "combobox", "Model") as HTMLSelectElement;
    expect(model.value).toBe("gpt-large");
    const search = byRole(el, "button", "Search the web");
    search.click();
    expect(search.getAttribute("aria-pressed")).toBe("true");
    // The tool's placeholder becomes the textbox's name.
    const box = composer(el, "Search for…");
    expect(events.find((e) => e.type === "chatkit.tool.change")?.detail).toEqual({ toolId: "search" });
    type(box, "weather in Oslo");
    press(box, "Enter");
    await waitFor(() => server.ofType("threads.create").length === 1, "create");
    expect(input(server.ofType("threads.create")[0]).inference_options).toEqual({ tool_choice: { id: "search" }, model: "gpt-large" });
    // Not persistent: cleared after sending.
    expect(byRole(el, "button", "Search the web").getAttribute("aria-pressed")).toBe("false");
    await waitFor(
      () => queryByRole(el, "button", "Send message") && !(byRole(el, "button", "Send message") as HTMLButtonElement).hidden,
      "idle",
    );

    // Unpinned tool from the menu; persistent; other model.
    const menuButton = byRole(el, "button", "Tools");
    menuButton.click();
    expect(menuButton.getAttribute("aria-expanded")).toBe("true");
    byRole(el, "menuitemradio", "Make a plot").click();
    expect(queryByRole(el, "button", "Remove Make a plot")).toBeTruthy();
    model.value = "gpt-small";
    model.dispatchEvent(new Event("change"));
    type(composer(el, "Ask"), "plot it");
    press(composer(el, "Ask"), "Enter");
    await waitFor(() => server.ofType("threads.add_user_message").length === 1, "add");
    expect(input(server.ofType("threads.add_user_message")[0]).inference_options).toEqual({
      tool_choice: { id: "plot" },
      model: "gpt-small",
    });
    expect(queryByRole(el, "button", "Remove Make a plot")).toBeTruthy();
  });
});

describe("attachments", () => {
  test("hidden unless enabled", () => {
    mounted = mount({});
    expect(queryByRole(mounted.el, "button", "Add files")).toBeNull();
  });

  test("validates count, size and type client-side with a clear message", async () => {
    mounted = mount({
      composer: {
        attachments: {
          enabled: true,
          maxCount: 1,
          maxSize: { "image/*": 900, "*": 10 },
          accept: { "image/*": [".png"], "text/csv": [".csv"] },
        },
      },
    });
    const { el, lite } = mounted;
    const addFiles = (files: File[]) => lite.setComposerValue({ files });
    await addFiles([new File(["x".repeat(2000)], "big.png", { type: "image/png" })]);
    expect(byRole(el, "alert").textContent).toBe("big.png is too large (limit 900 B).");
    await addFiles([new File(["%PDF"], "doc.pdf", { type: "application/pdf" })]);
    expect(byRole(el, "alert").textContent).toBe("doc.pdf is not an accepted file type.");
    expect(mounted.server.sent).toHaveLength(0);
  });

  test("uploads two-phase: attachments.create, then the bytes as FormData to the upload URL", async () => {
    const server = echoServer();
    server.on("attachments.create", (p) =>
      jsonResponse({
        type: "image",
        id: "att_1",
        name: p.name,
        mime_type: p.mime_type,
        preview_url: "https://files.example/att_1.png",
        upload_descriptor: { url: "https://chatkit-jupyter.invalid/chatkit/upload/att_1", method: "POST", headers: { "X-Upload": "1" } },
      }),
    );
    server.on("attachments.delete", () => jsonResponse({}));
    const uploads: Array<{ url: string; file: File | null; headers: unknown }> = [];
    server.upload = (url, init) => {
      uploads.push({ url, file: (init.body as FormData).get("file") as File | null, headers: init.headers });
      return jsonResponse({
        type: "image",
        id: "att_1",
        name: "plot.png",
        mime_type: "image/png",
        preview_url: "https://files.example/att_1.png",
      });
    };
    mounted = mount({ composer: { attachments: { enabled: true } } }, server);
    const { el, lite } = mounted;
    expect(byRole(el, "button", "Add files")).toBeTruthy();
    await lite.setComposerValue({ files: [new File(["PNGDATA"], "plot.png", { type: "image/png" })] });
    expect(server.ofType("attachments.create")[0].params).toEqual({ name: "plot.png", size: 7, mime_type: "image/png" });
    expect(uploads).toHaveLength(1);
    expect(uploads[0].url).toBe("https://chatkit-jupyter.invalid/chatkit/upload/att_1");
    expect(uploads[0].file?.name).toBe("plot.png");
    expect(uploads[0].headers).toEqual({ "X-Upload": "1" });
    expect(queryByRole(el, "button", "Remove plot.png")).toBeTruthy();
    // Sendable with no text.
    const send = byRole(el, "button", "Send message") as HTMLButtonElement;
    expect(send.disabled).toBe(false);
    send.click();
    await waitFor(() => server.ofType("threads.create").length === 1, "create");
    expect(input(server.ofType("threads.create")[0])).toMatchObject({
      attachments: ["att_1"],
      content: [{ type: "input_text", text: "" }],
    });
    expect(queryByRole(el, "button", "Remove plot.png")).toBeNull();
  });

  test("removing an uploaded attachment deletes it on the server; a failed upload is reported", async () => {
    const server = new FakeServer();
    let n = 0;
    server.on("attachments.create", (p) =>
      jsonResponse({ type: "file", id: `att_${++n}`, name: p.name, mime_type: p.mime_type, upload_url: `https://up.example/${n}` }),
    );
    server.on("attachments.delete", () => jsonResponse({}));
    server.upload = (url) => (url.endsWith("/2") ? jsonResponse({ error: "disk full" }, 507) : new Response("", { status: 200 }));
    mounted = mount({ composer: { attachments: { enabled: true } } }, server);
    const { el, lite } = mounted;
    await lite.setComposerValue({ files: [new File(["a"], "a.txt", { type: "text/plain" })] });
    byRole(el, "button", "Remove a.txt").click();
    await waitFor(() => server.ofType("attachments.delete").length === 1, "delete");
    expect(server.ofType("attachments.delete")[0].params).toEqual({ attachment_id: "att_1" });
    await lite.setComposerValue({ files: [new File(["b"], "b.txt", { type: "text/plain" })] });
    expect(byRole(el, "alert").textContent).toBe("Could not upload b.txt: disk full");
    expect((byRole(el, "button", "Send message") as HTMLButtonElement).disabled).toBe(true);
  });

  test("accept and maxSize helpers follow ChatKit's option shapes", () => {
    expect(acceptsFile({ name: "a.PNG", type: "" }, { "image/*": [".png"] })).toBe(true);
    expect(acceptsFile({ name: "a.csv", type: "text/csv" }, { "text/csv": [] })).toBe(true);
    expect(acceptsFile({ name: "a.exe", type: "application/x-msdownload" }, { "image/*": [".png"] })).toBe(false);
    expect(sizeLimit("image/png", 5)).toBe(5);
    expect(sizeLimit("image/png", { "image/*": 10, "image/png": 20, "*": 1 })).toBe(20);
    expect(sizeLimit("text/plain", { "image/*": 10, "": 3 })).toBe(3);
    expect(sizeLimit("text/plain", undefined)).toBe(100 * 1024 * 1024);
  });
});

describe("entity tags", () => {
  test("@ searches with onTagSearch; choosing inserts a tag sent as input_tag", async () => {
    const onTagSearch = vi.fn(async (q: string) =>
      [
        { id: "df_sales", title: "sales_df", group: "DataFrames", icon: "chart", data: { kind: "df" } },
        { id: "df_costs", title: "costs_df", group: "DataFrames" },
      ].filter((e) => e.title.startsWith(q)),
    );
    mounted = mount({ entities: { onTagSearch, showComposerMenu: true } }, echoServer());
    const { el, server } = mounted;
    const box = composer(el);
    type(box, "Compare @sa");
    const option = await waitFor(() => queryByRole(el, "option", "sales_df"), "option");
    expect(onTagSearch).toHaveBeenLastCalledWith("sa");
    expect(box.getAttribute("aria-expanded")).toBe("true");
    expect(option.getAttribute("aria-selected")).toBe("true");
    press(box, "Enter");
    expect(box.value).toBe("Compare @sales_df ");
    expect(queryByRole(el, "listbox")).toBeNull();
    box.value += "with last year";
    box.dispatchEvent(new Event("input"));
    press(box, "Enter");
    await waitFor(() => server.ofType("threads.create").length === 1, "create");
    expect(input(server.ofType("threads.create")[0]).content).toEqual([
      { type: "input_text", text: "Compare " },
      { type: "input_tag", id: "df_sales", text: "sales_df", data: { kind: "df" }, group: "DataFrames", interactive: false },
      { type: "input_text", text: " with last year" },
    ]);
  });

  test("a tag shows as a chip while its label is in the text; the chip removes it", async () => {
    const onTagSearch = vi.fn(async () => [{ id: "var:sales", title: "sales", group: "Variables" }]);
    mounted = mount({ entities: { onTagSearch } }, echoServer());
    const { el, server } = mounted;
    const box = composer(el);
    expect(queryByRole(el, "list", "Mentioned")).toBeNull();
    type(box, "what is odd in @sa");
    await waitFor(() => queryByRole(el, "option", "sales"), "option");
    press(box, "Enter");
    const chips = byRole(el, "list", "Mentioned");
    expect(allByRole(chips, "listitem").map((li) => li.textContent)).toEqual(["@sales"]);

    byRole(chips, "button", "Remove @sales").click();
    expect(box.value).toBe("what is odd in ");
    expect(queryByRole(el, "list", "Mentioned")).toBeNull();

    // Tag again, then break the label by typing: the chip goes, and the message has no tag.
    type(box, "what is odd in @sa");
    await waitFor(() => queryByRole(el, "option", "sales"), "option again");
    press(box, "Enter");
    expect(allByRole(el, "listitem").map((li) => li.textContent)).toEqual(["@sales"]);
    type(box, "what is odd in @sal");
    await waitFor(() => queryByRole(el, "list", "Mentioned") === null, "chip gone");
    type(box, "what is odd in @sales?");
    press(box, "Escape");
    press(box, "Enter");
    await waitFor(() => server.ofType("threads.create").length === 1, "create");
    expect(input(server.ofType("threads.create")[0]).content).toEqual([{ type: "input_text", text: "what is odd in @sales?" }]);
  });

  test("the @ button inserts @ and opens the menu; Escape closes it", async () => {
    const onTagSearch = vi.fn(async () => [{ id: "1", title: "thing" }]);
    mounted = mount({ entities: { onTagSearch, showComposerMenu: true } });
    const { el } = mounted;
    byRole(el, "button", "Mention").click();
    const box = composer(el);
    expect(box.value).toBe("@");
    await waitFor(() => queryByRole(el, "option", "thing"), "option");
    press(box, "Escape");
    expect(queryByRole(el, "listbox")).toBeNull();
  });
});

describe("locale", () => {
  test("German strings with options.locale; English otherwise; setOptions switches", async () => {
    mounted = mount({ locale: "de-DE", history: { enabled: true } });
    const { el, lite } = mounted;
    expect(byRole(el, "heading", "Wobei kann ich heute helfen?")).toBeTruthy();
    expect(composer(el, "Nachricht an die KI")).toBeTruthy();
    expect(byRole(el, "button", "Nachricht senden")).toBeTruthy();
    expect(byRole(el, "button", "Neuer Chat")).toBeTruthy();
    expect(byRole(el, "button", "Verlauf")).toBeTruthy();
    expect(byRole(el, "log").getAttribute("aria-label")).toBe("Unterhaltung");
    lite.setOptions({ locale: "en" });
    expect(byRole(el, "heading", "What can I help with today?")).toBeTruthy();
    expect(byRole(el, "button", "Send message")).toBeTruthy();
    lite.setOptions({ locale: "fr-FR" });
    expect(byRole(el, "button", "New chat")).toBeTruthy();
  });
});

describe("chrome", () => {
  test("header title, left/right actions, disclaimer and header.enabled", () => {
    const left = vi.fn();
    const right = vi.fn();
    mounted = mount({
      header: {
        title: { text: "Notebook helper" },
        leftAction: { icon: "sidebar-left", onClick: left },
        rightAction: { icon: "settings-cog", onClick: right },
      },
      disclaimer: { text: "AI can make **mistakes**." },
    });
    const { el, lite } = mounted;
    expect(byRole(el, "heading", "Notebook helper")).toBeTruthy();
    byRole(el, "button", "sidebar left").click();
    byRole(el, "button", "settings cog").click();
    expect(left).toHaveBeenCalledOnce();
    expect(right).toHaveBeenCalledOnce();
    expect(el.querySelector(".ckl-disclaimer strong")?.textContent).toBe("mistakes");
    lite.setOptions({ header: { enabled: false } });
    expect(queryByRole(el, "button", "New chat")).toBeNull();
    expect(el.querySelector(".ckl-disclaimer")?.hasAttribute("hidden")).toBe(true);
  });

  test("header.title.enabled false leaves no empty heading for a screen reader", () => {
    mounted = mount({ header: { title: { enabled: false } } });
    const header = mounted.el.querySelector("header")!;
    expect(allByRole(header, "heading")).toHaveLength(0);
    expect(byRole(header, "button", "New chat")).toBeTruthy();
  });

  test("theme options become CSS variables; no colorScheme follows the host", () => {
    mounted = mount({
      theme: {
        colorScheme: "dark",
        radius: "soft",
        density: "compact",
        color: { accent: { primary: "#ff5500", level: 2 }, surface: { background: "#101010", foreground: "#fafafa" } },
        typography: { baseSize: 17, fontFamily: "Inter, sans-serif", fontFamilyMono: "JetBrains Mono" },
      },
    });
    const root = mounted.lite.element;
    expect(root.dataset.colorScheme).toBe("dark");
    expect(root.style.getPropertyValue("--ckl-accent")).toBe("#ff5500");
    expect(root.style.getPropertyValue("--ckl-accent-mix")).toBe("24%");
    expect(root.style.getPropertyValue("--ckl-radius")).toBe("8px");
    expect(root.style.getPropertyValue("--ckl-density")).toBe("0.75");
    expect(root.style.getPropertyValue("--ckl-font-size")).toBe("17px");
    expect(root.style.getPropertyValue("--ckl-font-family")).toBe("Inter, sans-serif");
    expect(root.style.getPropertyValue("--ckl-bg")).toBe("#101010");
    mounted.lite.setOptions({ theme: { radius: "sharp" } });
    expect(root.style.getPropertyValue("--ckl-accent")).toBe("");
    expect(root.dataset.colorScheme).toBe("light"); // the host's scheme
    mounted.lite.destroy();
    mounted.el.remove();
    mounted = mount({}, new FakeServer(), "dark");
    expect(mounted.lite.element.dataset.colorScheme).toBe("dark");
    expect(allByRole(mounted.el, "region", "Chat")).toHaveLength(1);
  });

  test("destroy removes the DOM and aborts a running stream", async () => {
    const server = new FakeServer();
    server.on("threads.create", () => sseResponse([{ type: "thread.created", thread: thread("thr_1") }], { hang: true }));
    mounted = mount({}, server);
    type(composer(mounted.el), "Hi");
    press(composer(mounted.el), "Enter");
    await waitFor(() => server.sent.length === 1, "request");
    mounted.lite.destroy();
    expect(server.sent[0].signal?.aborted).toBe(true);
    expect(mounted.el.querySelector(".ckl-root")).toBeNull();
  });
});

describe("command menu", () => {
  const commands: Command[] = [
    { id: "describe", label: "Describe a variable", description: "Pick one to describe", group: "Notebook" },
    { id: "clear", label: "Clear the chat", icon: "bolt" },
  ];

  test('"/" at the start opens a menu filled by onSearch; arrows + Enter walk a submenu to a tag', async () => {
    const onSearch = vi.fn(async (q: string) => commands.filter((c) => c.label.toLowerCase().includes(q)));
    const onSelect = vi.fn(async (c: { id: string }) => {
      if (c.id === "describe")
        return {
          type: "menu" as const,
          commands: [
            { id: "v:sales", label: "sales" },
            { id: "v:temps", label: "temps" },
          ],
        };
      return { type: "entity" as const, entity: { id: c.id, title: c.id.slice(2), data: { kind: "var" } } };
    });
    mounted = mount({ commands: { enabled: true, onSearch, onSelect } }, echoServer());
    const { el, server } = mounted;
    const box = composer(el);
    expect(box.getAttribute("aria-haspopup")).toBe("listbox");
    type(box, "/");
    const menu = await waitFor(() => queryByRole(el, "listbox", undefined), "menu");
    expect(menu.getAttribute("aria-label")).toBe("Commands");
    await waitFor(() => allByRole(el, "option").length === 2, "both commands");
    expect(onSearch).toHaveBeenLastCalledWith("");
    type(box, "/c");
    await waitFor(() => allByRole(el, "option").length === 2 && onSearch.mock.calls.at(-1)?.[0] === "c", "search for c");
    type(box, "/cl");
    await waitFor(() => allByRole(el, "option").length === 1, "one command");
    expect(byRole(el, "option", "Clear the chat").getAttribute("aria-selected")).toBe("true");
    type(box, "/");
    await waitFor(() => allByRole(el, "option").length === 2, "both again");
    const describe = byRole(el, "option", "Describe a variable");
    expect(describe.getAttribute("aria-description")).toBe("Pick one to describe");
    expect(box.getAttribute("aria-activedescendant")).toBe(describe.id);
    press(box, "ArrowDown");
    expect(byRole(el, "option", "Clear the chat").getAttribute("aria-selected")).toBe("true");
    press(box, "ArrowUp");
    press(box, "Enter");
    await waitFor(() => queryByRole(el, "option", "temps"), "submenu");
    expect(onSelect).toHaveBeenCalledWith(commands[0]);
    expect(box.value).toBe("/");
    type(box, "/te"); // typing narrows a submenu down without asking onSearch again
    await waitFor(() => allByRole(el, "option").length === 1, "filtered submenu");
    const searches = onSearch.mock.calls.length;
    press(box, "Enter");
    await waitFor(() => box.value === "@temps ", "tag inserted");
    expect(queryByRole(el, "listbox")).toBeNull();
    expect(onSearch.mock.calls.length).toBe(searches);
    expect(document.activeElement).toBe(box);
    box.value += "now";
    box.dispatchEvent(new Event("input"));
    press(box, "Enter");
    await waitFor(() => server.ofType("threads.create").length === 1, "create");
    expect(input(server.ofType("threads.create")[0]).content).toEqual([
      { type: "input_tag", id: "v:temps", text: "temps", data: { kind: "var" }, group: null, interactive: false },
      { type: "input_text", text: " now" },
    ]);
  });

  test("a click selects; an effect-only command closes the menu and removes the /query", async () => {
    const onSelect = vi.fn(async () => undefined);
    mounted = mount({ commands: { enabled: true, onSearch: async () => commands, onSelect } });
    const { el } = mounted;
    const box = composer(el);
    type(box, "/cle");
    byRole(el, "listbox");
    (await waitFor(() => queryByRole(el, "option", "Clear the chat"), "option")).click();
    await waitFor(() => queryByRole(el, "listbox") === null, "menu closed");
    expect(onSelect).toHaveBeenCalledWith(commands[1]);
    expect(box.value).toBe("");
  });

  test("a failing onSelect says why in the menu; Escape closes it", async () => {
    mounted = mount({
      commands: {
        enabled: true,
        onSearch: async () => commands,
        onSelect: async () => Promise.reject(new Error("HandlerResultError: bad shape")),
      },
    });
    const { el } = mounted;
    const box = composer(el);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    type(box, "/");
    await waitFor(() => queryByRole(el, "option", "Clear the chat"), "option");
    press(box, "Enter");
    const menu = await waitFor(
      () => (queryByRole(el, "listbox")?.textContent?.includes("bad shape") ? queryByRole(el, "listbox") : null),
      "error",
    );
    expect(menu!.textContent).toContain("HandlerResultError: bad shape");
    press(box, "Escape");
    expect(queryByRole(el, "listbox")).toBeNull();
    vi.restoreAllMocks();
  });

  test('no menu when disabled or "/" is not at the start; Enter with no results sends the text', async () => {
    const onSearch = vi.fn(async () => []);
    mounted = mount({ commands: { enabled: false, onSearch } }, echoServer());
    const { el, server, lite } = mounted;
    const box = composer(el);
    type(box, "/vars");
    expect(queryByRole(el, "listbox")).toBeNull();
    lite.setOptions({ commands: { enabled: true, onSearch } });
    type(box, "see /vars");
    expect(queryByRole(el, "listbox")).toBeNull();
    type(box, "/vars");
    await waitFor(() => queryByRole(el, "listbox")?.textContent === "No results", "no results");
    press(box, "Enter");
    await waitFor(() => server.ofType("threads.create").length === 1, "sent");
    expect(input(server.ofType("threads.create")[0]).content).toEqual([{ type: "input_text", text: "/vars" }]);
    expect(onSearch).toHaveBeenCalledTimes(1);
  });

  test("@ tags and / commands share one menu without mixing results", async () => {
    const onTagSearch = vi.fn(async () => [{ id: "e1", title: "sales" }]);
    mounted = mount({ entities: { onTagSearch }, commands: { enabled: true, onSearch: async () => commands } });
    const { el } = mounted;
    const box = composer(el);
    type(box, "/");
    await waitFor(() => queryByRole(el, "option", "Clear the chat"), "commands");
    type(box, "/x @");
    await waitFor(() => queryByRole(el, "option", "sales"), "tags");
    expect(queryByRole(el, "listbox")!.getAttribute("aria-label")).toBe("Mentions");
    expect(queryByRole(el, "option", "Clear the chat")).toBeNull();
  });
});

describe("inside a shadow root (marimo draws each anywidget in one)", () => {
  test("the tools menu moves with the arrow keys", () => {
    const tools = ["one", "two", "three"].map((id) => ({ id, label: `Tool ${id}`, icon: "globe" as const }));
    mounted = mount({ composer: { placeholder: "Ask", tools } });
    const host = document.createElement("div");
    document.body.append(host);
    host.attachShadow({ mode: "open" }).append(mounted.el);
    const shadow = host.shadowRoot!;
    byRole(mounted.el, "button", "Tools").click();
    const first = byRole(mounted.el, "menuitemradio", "Tool one");
    first.focus();
    expect(shadow.activeElement).toBe(first);
    press(first, "ArrowDown");
    expect(shadow.activeElement).toBe(byRole(mounted.el, "menuitemradio", "Tool two"));
    press(shadow.activeElement as HTMLElement, "ArrowDown");
    expect(shadow.activeElement).toBe(byRole(mounted.el, "menuitemradio", "Tool three"));
  });
});
