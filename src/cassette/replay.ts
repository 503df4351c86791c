// Replays a cassette through the real SDKs: one local fake server per provider the cassette uses,
// each answering from the cassette, and a resolver whose providers point at them. Used by
// `ensemble replay`, `ensemble demo` and the extension's "Start Demo".

import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig, type EngineConfig } from '../core/config';
import type { ChatProvider } from '../core/ports';
import { createProvider, isProviderKind } from '../providers';
import { fakeKindFor, startFakeServer } from '../fakes';
import type { FakeServer } from '../fakes/script';
import type { Cassette } from './format';
import { cassetteHandler } from './handler';

export interface Replay {
  config: EngineConfig;
  resolve(providerId: string): ChatProvider | undefined;
  /** Where each of the cassette's providers is served. */
  endpoints: { provider: string; baseUrl: string }[];
  close(): Promise<void>;
}

export async function startReplay(cassette: Cassette, overrides: Partial<EngineConfig> = {}): Promise<Replay> {
  const config = { ...resolveConfig(cassette.config ?? {}, "the cassette's config"), ...overrides };
  const providers = new Map<string, ChatProvider>();
  const servers: FakeServer[] = [];
  const endpoints: Replay['endpoints'] = [];
  try {
    for (const id of new Set(cassette.entries.map((e) => e.provider))) {
      const settings = config.providers[id];
      if (!settings) throw new Error(`The cassette uses provider "${id}", which its config does not define.`);
      const fakeKind = fakeKindFor(settings.kind);
      if (!fakeKind || !isProviderKind(settings.kind))
        throw new Error(`The cassette's provider "${id}" has kind "${settings.kind}", which has no local server to replay it.`);
      const server = await startFakeServer(fakeKind, cassetteHandler(cassette, id));
      servers.push(server);
      endpoints.push({ provider: id, baseUrl: server.baseUrl });
      // Scripted answers, local servers, no real key: only the base URL differs from a real session.
      providers.set(id, createProvider({ id, kind: settings.kind, apiKey: 'scripted-no-key', baseUrl: server.baseUrl, timeoutMs: 30_000 }));
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  return { config, resolve: (id) => providers.get(id), endpoints, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}

/** The demo's cassette, shipped with the extension and the CLI (`demo/todo-app.cassette.json`). */
export function demoCassettePath(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'demo', 'todo-app.cassette.json');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('The demo cassette (demo/todo-app.cassette.json) is missing from this installation.');
  }
}
