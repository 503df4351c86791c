// A small emitter in the shape of VS Code's Emitter (core may not import vscode): a private
// `new Emitter<T>()` and a public `readonly onDidX = this._onDidX.event`. As in VS Code, a listener
// that throws is reported and skipped: it never breaks the one that fired (the engine) nor the other
// listeners.

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

/** Where a throwing listener's error goes; the CLI and the extension may point it at their log. */
let unexpectedError: (error: unknown) => void = (error) => console.error('Ensemble: an event listener failed:', error);

export function setUnexpectedErrorHandler(handler: (error: unknown) => void): void {
  unexpectedError = handler;
}

/** Reports an error where a throwing listener's goes now (another copy of this module can forward its own here). */
export function reportUnexpectedError(error: unknown): void {
  unexpectedError(error);
}

export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (e) {
        unexpectedError(e);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
