// One chat() call's lifetime: joins the caller's AbortSignal with an idle timeout into the one signal
// handed to the SDK, races every SDK await against it (so an abort ends iteration at once, whatever
// the SDK does), measures latency, and decides which error wins when several things go wrong.

import { ProviderError, type Usage } from '../core/ports';
import { abortedError, timeoutError, type ErrorContext } from './errors';

/** Thrown internally when the attempt's signal fired; `fail()` turns it into 'aborted' or 'timeout'. */
class Interrupted extends Error {}

export class Attempt {
  readonly startedAt = Date.now();
  private lastChunkAt = this.startedAt;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  /** The SDK's stream ended: nothing is left to release. */
  private ended = false;
  /** Rejects when the signal fires: every step of a stream is raced against this one promise. */
  private readonly interrupted: Promise<never>;
  private readonly onUserAbort = () => this.controller.abort();

  constructor(
    private readonly ctx: ErrorContext,
    private readonly user: AbortSignal,
    private readonly timeoutMs: number,
  ) {
    if (user.aborted) this.controller.abort();
    else user.addEventListener('abort', this.onUserAbort, { once: true });
    this.interrupted = new Promise<never>((_, reject) => {
      if (this.controller.signal.aborted) reject(new Interrupted());
      else this.controller.signal.addEventListener('abort', () => reject(new Interrupted()), { once: true });
    });
    this.interrupted.catch(() => {}); // raced, never awaited alone
    this.arm();
  }

  /** Give this to the SDK: it fires on the caller's abort, on the idle timeout and on dispose(). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get latencyMs(): number {
    return this.lastChunkAt - this.startedAt;
  }

  /** Throws if the attempt was aborted or timed out. Call before yielding anything. */
  check(): void {
    if (this.controller.signal.aborted) throw new Interrupted();
  }

  /**
   * Resolves with `p`, or rejects as soon as the signal fires. A late rejection of `p` is swallowed.
   * Called for every streamed chunk, so it adds no listener of its own: one `interrupted` promise serves all.
   */
  race<T>(p: Promise<T>): Promise<T> {
    p.catch(() => {});
    if (this.controller.signal.aborted) return Promise.reject(new Interrupted());
    return Promise.race([p, this.interrupted]);
  }

  /** Iterates `source`, racing each step against the signal and re-arming the idle timeout per item. */
  async *iterate<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    const it = source[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        const step = await this.race(it.next());
        if (step.done) {
          finished = this.ended = true;
          return;
        }
        this.lastChunkAt = Date.now();
        this.timer?.refresh(); // the idle timeout starts again: a refresh, not a new timer per chunk
        yield step.value;
      }
    } finally {
      if (!finished) void Promise.resolve(it.return?.()).catch(() => {});
    }
  }

  /** The error to throw: the caller's abort wins, then the timeout, then ProviderErrors, then `map`. */
  fail(e: unknown, map: (e: unknown) => ProviderError, usage?: Usage): ProviderError {
    if (this.user.aborted) return abortedError(this.ctx, usage);
    if (this.timedOut) return timeoutError(this.ctx, this.timeoutMs, usage, e);
    if (e instanceof ProviderError) return e;
    if (e instanceof Interrupted) return abortedError(this.ctx, usage);
    return map(e);
  }

  /** Clears the timer and releases the request (nothing to release when its stream ended: no abort, which costs). */
  dispose(): void {
    clearTimeout(this.timer);
    this.user.removeEventListener('abort', this.onUserAbort);
    if (!this.ended) this.controller.abort();
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.timeoutMs);
    // The open request keeps the process alive while it matters; the timer alone need not.
    this.timer.unref?.();
  }
}
