// Markdown for the page's code, loaded when first needed. marked and DOMPurify (markdown.ts,
// through safe.ts) are half of a WidgetView's code and nothing a first paint of the chat needs,
// so they live in their own bundle (markdown.js), which the loader (loader.ts) imports from its
// shared Code model on request. Until it is there, markdown shows as its plain source text
// (textContent: safe as it stands) and is redrawn as markdown, newest text per element, once it
// comes. Tests and hosts that have it at hand call provideMarkdown.

interface Markdown {
  setMarkdown(el: HTMLElement, text: string): void;
}

let impl: Markdown | null = null;
let loader: (() => Promise<Markdown>) | null = null;
let loading: Promise<void> | null = null;
/** Elements drawn as plain text while markdown was loading, with the text they should show. */
const pending = new Map<HTMLElement, string>();

/** Use `markdown` from now on and redraw what was drawn as plain text meanwhile. */
export function provideMarkdown(markdown: Markdown): void {
  impl = markdown;
  const drawn = [...pending];
  pending.clear();
  for (const [el, text] of drawn) markdown.setMarkdown(el, text);
}

/** How to fetch the markdown bundle (the loader's part `markdown`); starts it if text waits. */
export function setMarkdownLoader(load: () => Promise<Markdown>): void {
  loader = load;
  if (pending.size) void loadMarkdown();
}

/** Fetch markdown now (e.g. once the first paint is done); resolves when it is in use. */
export function loadMarkdown(): Promise<void> {
  if (impl) return Promise.resolve();
  if (!loader) return Promise.reject(new Error("no markdown loader"));
  if (!loading) {
    loading = loader().then(provideMarkdown, (error: unknown) => {
      loading = null; // a later call may try again
      throw error;
    });
  }
  return loading;
}

/** Replaces the children of `el` with the rendered markdown `text` (its plain text until loaded). */
export function setMarkdown(el: HTMLElement, text: string): void {
  if (impl) {
    impl.setMarkdown(el, text);
    return;
  }
  el.textContent = typeof text === "string" ? text : String(text ?? "");
  if (pending.size < 10_000) pending.set(el, text);
  if (loader) loadMarkdown().catch(() => undefined);
}

/** An entry's `parts` (called by loader.ts): markdown comes from the bundle's part `markdown`. */
export function parts(load: (name: string) => Promise<unknown>): void {
  setMarkdownLoader(async () => {
    const part = (await load("markdown")) as Partial<Markdown>;
    if (typeof part.setMarkdown !== "function") throw new Error("the markdown part has no setMarkdown");
    return part as Markdown;
  });
}
