// The session runtime (runtime.ts: the engine, the SDKs, the settings' validation), required the first
// time it is needed, not when the extension loads. In the bundle, `./runtime` is dist/runtime.js, a file
// of its own (scripts/build.mjs); from the sources (tests), the TypeScript module.
import { reportUnexpectedError } from '../core/emitter';
import type * as Runtime from './runtime';

let loaded: typeof Runtime | undefined;

export function runtime(): typeof Runtime {
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('./runtime') as typeof Runtime;
    // Its copy of the engine's emitter reports a failing listener where this bundle's does (the Output channel).
    loaded.setUnexpectedErrorHandler(reportUnexpectedError);
  }
  return loaded;
}

/** Whether the runtime was loaded (an error of its kind can only come from it then). */
export function runtimeLoaded(): boolean {
  return loaded !== undefined;
}
