// Streaming markdown. While text streams in, everything before the last top-level block boundary
// is rendered once into frozen blocks; only the open tail is re-rendered per frame, so a long
// answer costs about the same per frame as a short one. Each call does a bounded amount of work:
// a burst of text (a backlog of blocks) is frozen over several frames, with the tail hidden until
// it is caught up. When the text is final and small enough, one full render gives exactly what a
// single `marked` pass would.

import { h } from "../../render/dom";
import { setMarkdown } from "../../render/md";
import { now } from "../schedule";

/** Up to this size a finished text gets one full render (exact markdown semantics). */
const FULL_RENDER_LIMIT = 20_000;
/** Frozen blocks hold up to this many characters (a block may be longer if it has no boundary). */
const BLOCK_CHARS = 8_000;
/** Work per call before the rest is left for the next frame, in ms. */
const BUDGET_MS = 8;

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
/** Below this size the open tail is always re-rendered in full (cheap, and its block type is still open). */
const APPEND_MIN = 256;
/** Characters that mean nothing to markdown in the middle of a line (no `*_`[]<>&\\~|#:@;`, no newline). */
const PLAIN = /^[\p{L}\p{M}\p{N} ,.!?'"()/%+=$-]*$/u;

export class MarkdownStream {
  readonly el: HTMLElement;
  private readonly tail: HTMLElement;
  private text = "";
  private frozenEnd = 0; // text[0:frozenEnd] is rendered into frozen blocks
  private scanPos = 0; // next unscanned line start
  private fence: string | null = null;
  private prevBlank = false;
  private boundaries: number[] = []; // block starts found by the scanner, > frozenEnd
  private lastCost = 0;
  private lastRender = -Infinity;
  private final = false;
  private backlog = false;
  /** The source the tail's DOM shows, while that DOM is one paragraph that text can be appended to. */
  private tailSource: string | null = null;
  /** Called after the DOM changed (to add code-copy buttons, ...). */
  onRender?: (el: HTMLElement) => void;

  /** `throttle: false` renders on every call (tests). */
  constructor(
    className = "ckl-md",
    private readonly throttle = true,
  ) {
    this.el = h("div", { class: className });
    this.tail = h("div", { class: "ckl-md-block" });
    this.el.append(this.tail);
  }

  /** True while the DOM is behind `text`: the caller should call again on the next frame. */
  pending(text: string): boolean {
    return this.backlog || text !== this.text;
  }

  /**
   * Shows (as much as fits in the budget of) `text`. While streaming, a call right after an
   * expensive render may be skipped. Returns true if the DOM changed.
   */
  update(text: string, final: boolean): boolean {
    if (text === this.text && !this.backlog && (this.final || !final)) return false;
    if (!text.startsWith(this.text.slice(0, this.frozenEnd))) this.reset();
    // Adaptive throttle: after a slow render, skip frames instead of blocking every one.
    if (this.throttle && !final && this.lastCost > BUDGET_MS && now() - this.lastRender < this.lastCost * 4) {
      return false;
    }
    const start = now();
    this.text = text;
    this.final = final;
    if (final && text.length <= FULL_RENDER_LIMIT) {
      this.reset();
      this.text = text;
      this.final = true;
      setMarkdown(this.tail, text);
      this.tailSource = null;
      this.tail.hidden = false;
    } else {
      this.scan(final);
      this.freeze(start);
      this.backlog = this.boundaries.length > 0;
      // While frozen blocks are catching up, the tail would repeat their text: hide it.
      this.tail.hidden = this.backlog;
      if (!this.backlog) this.renderTail(text.slice(this.frozenEnd));
    }
    this.lastRender = now();
    this.lastCost = this.lastRender - start;
    this.onRender?.(this.el);
    return true;
  }

  /**
   * Renders the open tail. Streamed text mostly grows one paragraph by plain words; when it
   * does, the words are appended to the paragraph's last text node instead of re-rendering (and
   * re-laying out) the whole paragraph, which for a long paragraph cost tens of ms per frame.
   * The result is what a full render gives (tests compare them); anything else renders in full.
   */
  private renderTail(source: string): void {
    const shown = this.tailSource;
    if (shown !== null && source.length > shown.length && source.startsWith(shown) && this.appendPlain(shown, source)) {
      this.tailSource = source;
      return;
    }
    setMarkdown(this.tail, source);
    this.tailSource = source;
  }

  private appendPlain(shown: string, source: string): boolean {
    if (shown.length < APPEND_MIN || source.includes("\n")) return false;
    const delta = source.slice(shown.length);
    // The character before the new text is plain too, so no delimiter run changes its meaning.
    if (!PLAIN.test(delta) || !PLAIN.test(shown[shown.length - 1])) return false;
    // GFM links bare URLs and addresses: a word that may become one is rendered in full.
    const lastWord = source.slice(source.lastIndexOf(" ") + 1);
    if (/www\./i.test(lastWord) || /[:@]/.test(lastWord)) return false;
    const p = this.onlyParagraph();
    const last = p?.lastChild;
    if (!last || last.nodeType !== Node.TEXT_NODE) return false;
    // marked keeps a single line's text as it is, trailing spaces included.
    const text = last as Text;
    if (!text.data.endsWith(shown[shown.length - 1])) return false;
    text.appendData(delta);
    return true;
  }

  /** The tail's <p> if it holds exactly one paragraph (and white space). */
  private onlyParagraph(): HTMLElement | null {
    let p: HTMLElement | null = null;
    for (const node of Array.from(this.tail.childNodes)) {
      if (node.nodeType === Node.TEXT_NODE && !node.textContent?.trim()) continue;
      if (p || node.nodeName !== "P") return null;
      p = node as HTMLElement;
    }
    return p;
  }

  /** Renders frozen blocks up to the boundaries found, within the time budget. */
  private freeze(start: number): void {
    const b = this.boundaries;
    while (b.length && b[0] <= this.frozenEnd) b.shift();
    while (b.length) {
      let i = 0;
      while (i + 1 < b.length && b[i + 1] - this.frozenEnd <= BLOCK_CHARS) i++;
      const end = b[i];
      const block = h("div", { class: "ckl-md-block" });
      setMarkdown(block, this.text.slice(this.frozenEnd, end));
      this.tail.before(block);
      this.frozenEnd = end;
      b.splice(0, i + 1);
      if (now() - start > BUDGET_MS) break;
    }
  }

  private reset(): void {
    this.el.replaceChildren(this.tail);
    this.tail.replaceChildren();
    this.tailSource = null;
    this.tail.hidden = false;
    this.frozenEnd = 0;
    this.scanPos = 0;
    this.fence = null;
    this.prevBlank = false;
    this.boundaries = [];
    this.backlog = false;
    this.final = false;
  }

  /** Finds block boundaries: a blank line outside code fences followed by an unindented line. */
  private scan(final: boolean): void {
    const text = this.text;
    let pos = this.scanPos;
    for (;;) {
      const nl = text.indexOf("\n", pos);
      if (nl < 0 && !final) break;
      const end = nl < 0 ? text.length : nl;
      const line = text.slice(pos, end);
      if (this.fence) {
        const m = FENCE.exec(line);
        if (m && m[1][0] === this.fence[0] && m[1].length >= this.fence.length && !line.slice(m[0].length).trim()) {
          this.fence = null;
        }
        this.prevBlank = false;
      } else {
        const blank = line.trim() === "";
        if (!blank && this.prevBlank && !/^\s/.test(line)) this.boundaries.push(pos);
        const m = FENCE.exec(line);
        if (m) this.fence = m[1];
        this.prevBlank = blank;
      }
      if (nl < 0) {
        pos = text.length;
        break;
      }
      pos = nl + 1;
    }
    this.scanPos = pos;
  }
}
