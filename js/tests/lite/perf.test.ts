// Responsiveness: long streams and long threads must never block the main thread for long.
// A heartbeat timer measures the longest gap between its ticks while the work runs; any task
// that blocks the thread shows up as a long gap.
import { afterEach, describe, expect, test, vi } from "vitest";
import * as markdown from "../../src/render/md";
import {
  assistantItem,
  composer,
  FakeServer,
  longestBlock,
  type Mounted,
  mount,
  press,
  sseResponse,
  thread,
  type,
  unmountAll,
  userItem,
  waitFor,
} from "./harness";

vi.mock("../../src/render/md", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/render/md")>();
  return { ...actual, setMarkdown: vi.fn(actual.setMarkdown) };
});

let mounted: Mounted | null = null;
afterEach(() => {
  unmountAll();
  mounted = null;
});

function deltas(n: number): string[] {
  // Words, with a line break now and then and a paragraph every 100 deltas: the usual shape.
  return Array.from({ length: n }, (_, i) => (i % 100 === 99 ? "end.\n\n" : i % 20 === 19 ? "word\n" : `w${i} `));
}

describe("performance", () => {
  test.each([
    ["in one chunk", 0],
    ["in 4 KB chunks", 4096],
  ])(
    "10,000 deltas %s never block the main thread for 50 ms and are coalesced",
    async (_label, chunk) => {
      const parts = deltas(10_000);
      const server = new FakeServer();
      // A first, short exchange warms up marked and DOMPurify (their one-time set-up is not
      // what this test is about).
      server.on("threads.create", () =>
        sseResponse([
          { type: "thread.created", thread: thread("thr_1") },
          { type: "thread.item.done", item: assistantItem("a0", "*warm*") },
        ]),
      );
      // Encoded before the clock starts: building 1.5 MB of SSE is the fake server's work.
      const response = sseResponse(
        [
          { type: "thread.item.done", item: userItem("u1", "go") },
          { type: "thread.item.added", item: assistantItem("a1", "") },
          ...parts.map((delta) => ({
            type: "thread.item.updated",
            item_id: "a1",
            update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta },
          })),
          { type: "thread.item.done", item: assistantItem("a1", parts.join("")) },
        ],
        chunk ? { chunk } : {},
      );
      server.on("threads.add_user_message", () => response);
      mounted = mount({}, server);
      const { el, events } = mounted;
      type(composer(el), "warm up");
      press(composer(el), "Enter");
      await waitFor(() => events.filter((e) => e.type === "chatkit.response.end").length === 1, "warm-up reply");
      await mounted.lite.settle();
      const setMarkdown = vi.mocked(markdown.setMarkdown);
      setMarkdown.mockClear();
      const longest = await longestBlock(async () => {
        type(composer(el), "go");
        press(composer(el), "Enter");
        await waitFor(() => events.filter((e) => e.type === "chatkit.response.end").length === 2, "end of response", 20_000);
        await mounted!.lite.settle();
      });
      const answer = el.querySelector<HTMLElement>("[data-item-id=a1]")!;
      expect(answer.textContent).toContain("w0 w1");
      expect(answer.textContent).toContain("w9998");
      expect(longest).toBeLessThan(50);
      // Markdown was rendered per frame (and per frozen block), nowhere near once per delta.
      expect(setMarkdown.mock.calls.length).toBeLessThan(1000);
    },
    {
      timeout: 30_000,
      // The machines are shared and noisy (a GC pause or a preemption can pass for a block);
      // a real regression blocks for hundreds of ms on every attempt.
      retry: 2,
    },
  );
});
