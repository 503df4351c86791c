// Runs engine sessions in a temporary workspace with scripted providers.

import { tempWorkspace } from './tmp';
import { resolveConfig, type EngineConfig } from '../../src/core/config';
import { nodeWorkspace } from '../../src/node/workspace';
import { startSession, type EngineDeps, type SessionHandle } from '../../src/core/session/session';
import type { EnsembleEvent } from '../../src/core/events';
import type { ChatProvider } from '../../src/core/ports';
import { ScriptedProvider, type Script } from './scripted';

export { tempWorkspace };

/** Three providers (orch, p1, p2; OpenAI-compatible so they need no key) and two roles. */
export function testConfig(extra: Record<string, unknown> = {}): EngineConfig {
  return resolveConfig({
    orchestrator: { provider: 'orch', model: 'o-1' },
    roles: { a: { provider: 'p1', model: 'm-1' }, b: { provider: 'p2', model: 'm-2' } },
    providers: { orch: { kind: 'openai-compatible' }, p1: { kind: 'openai-compatible' }, p2: { kind: 'openai-compatible' } },
    pricing: { 'orch/o-1': { input: 1, output: 2 }, 'p1/m-1': { input: 1, output: 2 }, 'p2/m-2': { input: 1, output: 2 } },
    retry: { maxRetries: 2, maxBackoffMs: 20 },
    validation: { runTests: 'never' },
    ...extra,
  });
}

export interface Run {
  handle: SessionHandle;
  workspace: string;
  providers: Record<string, ScriptedProvider>;
  events(): EnsembleEvent[];
}

export function run(goal: string, scripts: Record<string, Script>, opts: { config?: EngineConfig; workspace?: string; consent?: (c: string, signal?: AbortSignal) => Promise<boolean>; isDirty?: EngineDeps['isDirty']; reviewPlan?: EngineDeps['reviewPlan']; plan?: Parameters<typeof startSession>[0]['plan']; search?: EngineDeps['search'] } = {}): Run {
  const workspace = opts.workspace ?? tempWorkspace();
  const providers = Object.fromEntries(Object.entries(scripts).map(([id, s]) => [id, new ScriptedProvider(id, s)]));
  const handle = startSession({
    goal,
    config: opts.config ?? testConfig(),
    deps: { ...nodeWorkspace(workspace), resolve: (id): ChatProvider | undefined => providers[id], consent: opts.consent, isDirty: opts.isDirty, reviewPlan: opts.reviewPlan, ...(opts.search ? { search: opts.search } : {}) },
    plan: opts.plan,
  });
  return { handle, workspace, providers, events: () => handle.log.readAll() };
}

export function ofType<T extends EnsembleEvent['type']>(events: EnsembleEvent[], type: T): Extract<EnsembleEvent, { type: T }>[] {
  return events.filter((e): e is Extract<EnsembleEvent, { type: T }> => e.type === type);
}

/** Resolves once the session has sent `n` model requests in all (counted from the log, live). */
export function untilRequests(r: Run, n: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let seen = ofType(r.handle.log.readAll(), 'llm.request').length;
    if (seen >= n) return resolve();
    const sub = r.handle.log.onDidAppend((e) => {
      if (e.type === 'llm.request' && ++seen >= n) {
        sub.dispose();
        resolve();
      }
    });
  });
}
