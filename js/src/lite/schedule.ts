// Cooperative scheduling: long work is cut into slices so no single task blocks the page.

type Scheduler = { yield?: () => Promise<void> };

/**
 * Resolves in a new task, letting the browser paint and handle input in between.
 * `scheduler.yield()` where the browser has it; otherwise a 0 ms timer. (A MessageChannel
 * would be faster, but in some engines its messages starve timers and animation frames.)
 */
export function yieldToMain(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Scheduler }).scheduler;
  if (typeof scheduler?.yield === "function") return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Resolves in a task after the next frame has painted, so work cut into slices gets one slice per
 * frame (continuations of `yieldToMain` can run several slices before the browser paints). Where
 * frames do not come (a hidden tab), it resolves after a short timer instead.
 */
export function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(fallback);
      resolve();
    };
    const fallback = setTimeout(finish, 100);
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => setTimeout(finish, 0));
  });
}

export function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/** A time budget: `spent()` turns true once `budgetMs` have passed since the last `reset()`. */
export class Slice {
  private start = now();
  constructor(private readonly budgetMs = 8) {}
  spent(): boolean {
    return now() - this.start > this.budgetMs;
  }
  async maybeYield(): Promise<void> {
    if (this.spent()) {
      await yieldToMain();
      this.start = now();
    }
  }
}

const raf: (cb: () => void) => unknown =
  typeof requestAnimationFrame === "function" ? (cb) => requestAnimationFrame(() => cb()) : (cb) => setTimeout(cb, 16);

/** Runs `fn` at most once per animation frame, however often `schedule()` is called. */
export class FrameTask {
  private pending = false;
  private stopped = false;
  constructor(private readonly fn: () => void) {}
  schedule(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    raf(() => {
      // flush() may already have run it.
      if (!this.pending || this.stopped) return;
      this.pending = false;
      this.fn();
    });
  }
  /** Runs now if a run is pending (e.g. before a final render). */
  flush(): void {
    if (this.pending && !this.stopped) {
      this.pending = false;
      this.fn();
    }
  }
  stop(): void {
    this.stopped = true;
  }
}
