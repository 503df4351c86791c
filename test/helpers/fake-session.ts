// Engine sessions whose role agents talk to REAL SDK adapters against the local wire-exact fakes (the
// orchestrator stays scripted): what a provider's real behaviour does to the session, end to end.

import { startSession, type EngineDeps } from '../../src/core/session/session';
import { NodeFileStore } from '../../src/node/file-store';
import type { EngineConfig } from '../../src/core/config';
import type { ChatProvider } from '../../src/core/ports';
import type { FakeServer } from '../../src/fakes/script';
import { createProvider, type ProviderKind } from '../../src/providers/index';
import { ScriptedProvider, type Script } from './scripted';
import { tempWorkspace, type Run } from './session';
import { NodeCommandRunner } from '../../src/node/command-runner';
import { platformSandbox } from '../../src/node/sandbox';

export interface RealProvider {
  kind: ProviderKind;
  fake: FakeServer;
}

export function runWithFakes(goal: string, scripts: Record<string, Script>, real: Record<string, RealProvider>, config: EngineConfig, opts: { workspace?: string; deps?: Partial<EngineDeps> } = {}): Run {
  const workspace = opts.workspace ?? tempWorkspace();
  const providers = Object.fromEntries(Object.entries(scripts).map(([id, s]) => [id, new ScriptedProvider(id, s)]));
  const adapters = new Map<string, ChatProvider>();
  const resolve = (id: string): ChatProvider | undefined => {
    const r = real[id];
    if (!r) return providers[id];
    let p = adapters.get(id);
    if (!p) adapters.set(id, (p = createProvider({ id, kind: r.kind, apiKey: 'test-key', baseUrl: r.fake.baseUrl, timeoutMs: 5000 })));
    return p;
  };
  const handle = startSession({ goal, config, deps: { workspace, store: new NodeFileStore(workspace), runner: new NodeCommandRunner(), sandbox: platformSandbox(), resolve, ...opts.deps } });
  return { handle, workspace, providers, events: () => handle.log.readAll() };
}
