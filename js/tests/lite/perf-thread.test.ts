// Opening a long thread: items arrive page by page and are painted in slices.
import { afterEach, expect, test } from "vitest";
import {
  allByRole,
  assistantItem,
  FakeServer,
  jsonResponse,
  log,
  longestBlock,
  type Mounted,
  mount,
  sseResponse,
  thread,
  unmountAll,
  userItem,
} from "./harness";

let mounted: Mounted | null = null;
afterEach(() => {
  unmountAll();
  mounted = null;
});

test(
  "opening a thread of 1,000 items stays responsive",
  async () => {
    const all = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0
        ? userItem(`u${i}`, `Question ${i}`, "thr_big")
        : assistantItem(`a${i}`, `Answer **${i}** with a [link](https://example.org/${i})`, "thr_big"),
    );
    const server = new FakeServer();
    server.on("threads.get_by_id", () =>
      jsonResponse(thread("thr_big", { items: { data: all.slice(0, 20), has_more: true, after: all[19].id } })),
    );
    server.on("items.list", (p) => {
      const start = all.findIndex((x) => x.id === p.after) + 1;
      const page = all.slice(start, start + Number(p.limit));
      return jsonResponse({ data: page, has_more: start + page.length < all.length, after: page[page.length - 1].id });
    });
    server.on("threads.create", () =>
      sseResponse([
        { type: "thread.created", thread: thread("thr_1") },
        { type: "thread.item.done", item: assistantItem("a0", "*warm*") },
      ]),
    );
    mounted = mount({ threadItemActions: { feedback: true } }, server);
    const { el, events } = mounted;
    // A first, short exchange warms up marked and DOMPurify (their one-time set-up is not what
    // this test is about).
    await mounted.lite.sendUserMessage({ text: "warm up" });
    await mounted.lite.settle();
    const started = performance.now();
    const longest = await longestBlock(async () => {
      // Wait on the renderer itself: polling a 1,000-item DOM would be the slow part here.
      await mounted!.lite.setThreadId("thr_big");
      await mounted!.lite.settle();
    });
    const elapsed = performance.now() - started;
    expect(el.querySelectorAll(".ckl-turn-actions")).toHaveLength(500);
    expect(allByRole(log(el), "article")).toHaveLength(1000);
    expect(el.querySelector("[data-item-id=a999]")?.textContent).toContain("Answer 999");
    expect(events.some((e) => e.type === "chatkit.thread.load.end")).toBe(true);
    expect(longest).toBeLessThan(50);
    // happy-dom is far slower than a browser; this only guards against quadratic work.
    expect(elapsed).toBeLessThan(10_000);
  },
  {
    timeout: 30_000,
    // The machines are shared and noisy (a GC pause or a preemption can pass for a block);
    // a real regression blocks for hundreds of ms on every attempt.
    retry: 2,
  },
);
