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
  private readonly onUserAbort = () => this.controller.abort();

  constructor(
    private readonly ctx: ErrorContext,
    private readonly user: AbortSignal,
    private readonly timeoutMs: number,
  ) {
    if (user.aborted) this.controller.abort();
    else user.addEventListener('abort', this.onUserAbort, { once: true });
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

  /** Resolves with `p`, or rejects as soon as the signal fires. A late rejection of `p` is swallowed. */
  race<T>(p: Promise<T>): Promise<T> {
    p.catch(() => {});
    if (this.controller.signal.aborted) return Promise.reject(new Interrupted());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new Interrupted());
      this.controller.signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => this.controller.signal.removeEventListener('abort', onAbort));
    });
  }

  /** Iterates `source`, racing each step against the signal and re-arming the idle timeout per item. */
  async *iterate<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    const it = source[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        const step = await this.race(it.next());
        if (step.done) {
          finished = true;
          return;
        }
        this.lastChunkAt = Date.now();
        this.arm();
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

  /** Clears the timer and releases the request (a no-op when it already completed). */
  dispose(): void {
    clearTimeout(this.timer);
    this.user.removeEventListener('abort', this.onUserAbort);
    this.controller.abort();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, this.timeoutMs);
    // The open request keeps the process alive while it matters; the timer alone need not.
    this.timer.unref?.();
  }
}
