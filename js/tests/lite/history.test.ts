import { afterEach, describe, expect, test } from "vitest";
import {
  allByRole,
  assistantItem,
  byRole,
  FakeServer,
  jsonResponse,
  log,
  type Mounted,
  mount,
  queryByRole,
  thread,
  unmountAll,
  userItem,
  waitFor,
} from "./harness";

let mounted: Mounted | null = null;
afterEach(() => {
  unmountAll();
  mounted = null;
});

function historyServer(): FakeServer {
  const server = new FakeServer();
  const threads = Array.from({ length: 5 }, (_, i) => ({
    id: `thr_${i + 1}`,
    title: `Thread ${i + 1}`,
    created_at: `2025-01-0${i + 1}T00:00:00Z`,
    status: { type: "active" },
  }));
  server.on("threads.list", (p) => {
    const start = p.after ? threads.findIndex((t) => t.id === p.after) + 1 : 0;
    const page = threads.slice(start, start + 3);
    return jsonResponse({ data: page, has_more: start + 3 < threads.length, after: page[page.length - 1]?.id ?? null });
  });
  server.on("threads.update", (p) => jsonResponse({ ...threads.find((t) => t.id === p.thread_id), title: p.title, items: { data: [] } }));
  server.on("threads.delete", () => jsonResponse({}));
  server.on("threads.get_by_id", (p) =>
    jsonResponse(
      thread(String(p.thread_id), {
        title: "Thread 2",
        items: {
          data: [userItem("u1", "first", String(p.thread_id)), assistantItem("a1", "answer one", String(p.thread_id))],
          has_more: true,
          after: "a1",
        },
      }),
    ),
  );
  server.on("items.list", (p) =>
    jsonResponse(
      p.after === "a1"
        ? { data: [userItem("u2", "second", String(p.thread_id))], has_more: true, after: "u2" }
        : { data: [assistantItem("a2", "answer two", String(p.thread_id))], has_more: false, after: null },
    ),
  );
  return server;
}

describe("history panel", () => {
  test("lists threads with paging, opens one with get_by_id + items.list paging", async () => {
    mounted = mount({ history: { enabled: true } }, historyServer());
    const { el, server, events } = mounted;
    byRole(el, "button", "History").click();
    const panel = byRole(el, "region", "History");
    await waitFor(() => allByRole(panel, "button", /^Thread \d/).length === 3, "first page");
    expect(server.ofType("threads.list")[0].params).toEqual({ limit: 20, order: "desc" });
    expect(events.some((e) => e.type === "chatkit.history.open")).toBe(true);
    byRole(panel, "button", "Load more").click();
    await waitFor(() => allByRole(panel, "button", /^Thread \d/).length === 5, "second page");
    expect(server.ofType("threads.list")[1].params).toEqual({ limit: 20, order: "desc", after: "thr_3" });
    expect(queryByRole(panel, "button", "Load more")).toBeNull();

    byRole(panel, "button", /^Thread 2/).click();
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "all pages");
    expect(server.ofType("threads.get_by_id")[0].params).toEqual({ thread_id: "thr_2" });
    expect(server.ofType("items.list").map((s) => s.params)).toEqual([
      { thread_id: "thr_2", after: "a1", order: "asc", limit: 100 },
      { thread_id: "thr_2", after: "u2", order: "asc", limit: 100 },
    ]);
    await mounted.lite.settle();
    const order = allByRole(log(el), "article").map((a) => a.dataset.itemId);
    expect(order).toEqual(["u1", "a1", "u2", "a2"]);
    expect(queryByRole(el, "region", "History")).toBeNull();
    expect(events.some((e) => e.type === "chatkit.history.close")).toBe(true);
    expect(events.find((e) => e.type === "chatkit.thread.change")?.detail).toEqual({ threadId: "thr_2" });
    expect(events.find((e) => e.type === "chatkit.thread.load.start")?.detail).toEqual({ threadId: "thr_2" });
    expect(events.find((e) => e.type === "chatkit.thread.load.end")?.detail).toEqual({ threadId: "thr_2" });
    expect(byRole(el, "heading", "Thread 2")).toBeTruthy();
  });

  test("rename sends threads.update and delete sends threads.delete", async () => {
    mounted = mount({}, historyServer());
    const { el, server } = mounted;
    byRole(el, "button", "History").click();
    const panel = byRole(el, "region", "History");
    const rename = await waitFor(() => queryByRole(panel, "button", "Rename Thread 1"), "rename button");
    rename.click();
    const input = byRole(panel, "textbox", "New name") as HTMLInputElement;
    input.value = "Q3 numbers";
    byRole(panel, "button", "Save").click();
    await waitFor(() => queryByRole(panel, "button", /^Q3 numbers/), "renamed");
    expect(server.ofType("threads.update")[0].params).toEqual({ thread_id: "thr_1", title: "Q3 numbers" });

    byRole(panel, "button", "Delete Thread 2").click();
    byRole(panel, "button", "Delete").click();
    await waitFor(() => queryByRole(panel, "button", /^Thread 2/) === null, "deleted");
    expect(server.ofType("threads.delete")[0].params).toEqual({ thread_id: "thr_2" });
  });

  test("showRename / showDelete false hide the actions; enabled false hides the button", async () => {
    mounted = mount({ history: { enabled: true, showRename: false, showDelete: false } }, historyServer());
    byRole(mounted.el, "button", "History").click();
    const panel = byRole(mounted.el, "region", "History");
    await waitFor(() => allByRole(panel, "button", /^Thread \d/).length === 3, "list");
    expect(queryByRole(panel, "button", /^Rename/)).toBeNull();
    expect(queryByRole(panel, "button", /^Delete/)).toBeNull();
    mounted.lite.setOptions({ history: { enabled: false } });
    expect(queryByRole(mounted.el, "button", "History")).toBeNull();
    expect(queryByRole(mounted.el, "region", "History")).toBeNull();
  });

  test("New chat returns to the start screen", async () => {
    mounted = mount({ initialThread: "thr_2" }, historyServer());
    const { el, events } = mounted;
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "thread loaded");
    byRole(el, "button", "New chat").click();
    await waitFor(() => queryByRole(el, "heading", "What can I help with today?"), "start screen");
    expect(allByRole(log(el), "article")).toHaveLength(0);
    expect(events.filter((e) => e.type === "chatkit.thread.change").at(-1)?.detail).toEqual({ threadId: null });
  });

  test("opening a thread does not read the whole thread out: the log is quiet until it is painted", async () => {
    const server = historyServer();
    const ok = server.handlers["items.list"];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    server.on("items.list", async (p, sent) => {
      await gate;
      return ok(p, sent);
    });
    mounted = mount({ initialThread: "thr_2" }, server);
    const { el } = mounted;
    await waitFor(() => el.querySelector("[data-item-id=a1]"), "first page");
    expect(log(el).getAttribute("aria-live")).toBe("off");
    release();
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "all pages");
    await mounted.lite.settle();
    expect(log(el).getAttribute("aria-live")).toBe("polite");
  });

  test("a locale change redraws the thread without reading it out again", async () => {
    mounted = mount({ initialThread: "thr_2" }, historyServer());
    const { el, lite } = mounted;
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "loaded");
    await lite.settle();
    expect(log(el).getAttribute("aria-live")).toBe("polite");
    lite.setOptions({ locale: "de-DE" });
    expect(log(el).getAttribute("aria-live")).toBe("off");
    await lite.settle();
    expect(el.querySelector("[data-item-id=a2]")).toBeTruthy();
    expect(log(el).getAttribute("aria-live")).toBe("polite");
  });

  test("New chat while a thread is still loading leaves no loading status behind", async () => {
    const server = historyServer();
    server.on("items.list", () => new Promise<Response>(() => undefined));
    mounted = mount({ initialThread: "thr_2" }, server);
    const { el } = mounted;
    await waitFor(() => el.querySelector("[data-item-id=a1]"), "first page");
    expect(queryByRole(el, "status", "Loading conversation…")).toBeTruthy();
    byRole(el, "button", "New chat").click();
    await waitFor(() => queryByRole(el, "heading", "What can I help with today?"), "start screen");
    await mounted.lite.settle();
    expect(allByRole(el, "status").map((s) => s.textContent)).not.toContain("Loading conversation…");
    expect(log(el).getAttribute("aria-live")).toBe("polite");
  });

  test("a failing threads.list shows an error in the panel", async () => {
    const server = new FakeServer();
    server.on("threads.list", () => jsonResponse({ error: "store offline" }, 500));
    mounted = mount({}, server);
    byRole(mounted.el, "button", "History").click();
    const panel = byRole(mounted.el, "region", "History");
    const alert = await waitFor(() => queryByRole(panel, "alert"), "alert");
    expect(alert.textContent).toBe("store offline");
  });

  test("a failing threads.list can be retried from the panel", async () => {
    const server = historyServer();
    const ok = server.handlers["threads.list"];
    let fail = true;
    server.on("threads.list", (p, sent) => (fail ? jsonResponse({ error: "store offline" }, 500) : ok(p, sent)));
    mounted = mount({}, server);
    byRole(mounted.el, "button", "History").click();
    const panel = byRole(mounted.el, "region", "History");
    await waitFor(() => queryByRole(panel, "alert"), "alert");
    fail = false;
    byRole(panel, "button", "Retry").click();
    await waitFor(() => allByRole(panel, "button", /^Thread \d/).length === 3, "first page");
    expect(queryByRole(panel, "alert")).toBeNull();
    expect(byRole(panel, "button", "Load more")).toBeTruthy();
  });

  test("a thread that fails to load shows an error with Retry", async () => {
    const server = historyServer();
    let fail = true;
    const ok = server.handlers["threads.get_by_id"];
    server.on("threads.get_by_id", (p, sent) => (fail ? jsonResponse({ message: "thread not found" }, 404) : ok(p, sent)));
    mounted = mount({ initialThread: "thr_2" }, server);
    const { el } = mounted;
    const alert = await waitFor(() => queryByRole(el, "alert"), "alert");
    expect(alert.textContent).toContain("thread not found");
    fail = false;
    byRole(alert, "button", "Retry").click();
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "loaded");
    expect(queryByRole(el, "alert")).toBeNull();
  });

  test("setOptions keeps the thread and the composer text", async () => {
    mounted = mount({ initialThread: "thr_2" }, historyServer());
    const { el, lite } = mounted;
    await waitFor(() => el.querySelector("[data-item-id=a2]"), "loaded");
    const box = el.querySelector("textarea")!;
    box.value = "half-typed";
    lite.setOptions({ composer: { placeholder: "New placeholder" }, threadItemActions: { feedback: true } });
    expect(byRole(el, "textbox", "New placeholder")).toBe(box);
    expect(box.value).toBe("half-typed");
    expect(el.querySelector("[data-item-id=a2]")).toBeTruthy();
    await waitFor(() => queryByRole(el, "button", "Good response"), "feedback buttons");
  });
});

describe("history panel keyboard focus", () => {
  async function openPanel(): Promise<HTMLElement> {
    mounted = mount({}, historyServer());
    byRole(mounted.el, "button", "History").click();
    const panel = byRole(mounted.el, "region", "History");
    await waitFor(() => allByRole(panel, "button", /^Thread \d/).length === 3, "first page");
    return panel;
  }

  test("Load more hides itself while loading; focus goes to the first new thread", async () => {
    const panel = await openPanel();
    const more = byRole(panel, "button", "Load more");
    more.focus();
    more.click();
    await waitFor(() => allByRole(panel, "button", /^Thread \d/).length === 5, "second page");
    expect(document.activeElement).toBe(byRole(panel, "button", /^Thread 4/));
  });

  test("cancelling a delete puts focus back on the Delete button", async () => {
    const panel = await openPanel();
    byRole(panel, "button", "Delete Thread 2").click();
    const cancel = byRole(panel, "button", "Cancel");
    expect(document.activeElement).toBe(byRole(panel, "button", "Delete"));
    cancel.click();
    expect(document.activeElement).toBe(byRole(panel, "button", "Delete Thread 2"));
  });

  test("Escape in the delete confirmation cancels it and keeps the panel open", async () => {
    const panel = await openPanel();
    byRole(panel, "button", "Delete Thread 2").click();
    const yes = byRole(panel, "button", "Delete");
    yes.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true }));
    expect(queryByRole(mounted!.el, "region", "History")).toBe(panel);
    expect(document.activeElement).toBe(byRole(panel, "button", "Delete Thread 2"));
  });

  test("after a delete, focus goes to the next thread in the list", async () => {
    const panel = await openPanel();
    byRole(panel, "button", "Delete Thread 2").click();
    byRole(panel, "button", "Delete").click();
    await waitFor(() => panel.querySelector("[data-thread-id=thr_2]") === null, "deleted");
    expect(document.activeElement).toBe(byRole(panel, "button", /^Thread 3/));
  });
});
