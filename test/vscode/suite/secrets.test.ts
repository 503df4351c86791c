// A key kept in SecretStorage is redacted like any other: a provider whose 403 body quotes the key
// it was sent, through the controller the commands use; nothing in the session's files or in what
// the panel was sent holds it, and the editor's own messages are redacted too.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveConfig } from '../../../src/core/config';
import { startFakeServer, type FakeServer } from '../../../src/fakes';
import type { HostMessage } from '../../../src/protocol';
import { buildResolver } from '../../../src/node/providers';
import { getApi, nextEvent, tempFolder } from './helpers';

const PROVIDER = 'ensemble-canary';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

export function registerSecretTests(): void {
  describe('a key from SecretStorage, echoed by a provider', function () {
    this.timeout(60_000);
    // Shaped like a Groq key: no key shape of the redactor matches it, only the stored value does.
    const canary = `gsk_${randomBytes(24).toString('base64url')}`;
    let server: FakeServer;
    let sub: vscode.Disposable | undefined;

    before(async () => {
      server = await startFakeServer('openai', () => ({ kind: 'error', status: 403, echoKey: true, message: 'This key may not use this model' }));
    });

    after(async () => {
      sub?.dispose();
      await server.close();
      await (await getApi()).keys.clear(PROVIDER);
    });

    it('never reaches the log, the report or the panel, and editor messages are redacted', async () => {
      const api = await getApi();
      await api.keys.set(PROVIDER, canary);
      const config = resolveConfig({
        orchestrator: { provider: PROVIDER, model: 'm' },
        roles: { dev: { provider: PROVIDER, model: 'm' } },
        providers: { [PROVIDER]: { kind: 'openai-compatible', baseUrl: server.baseUrl, apiKeyEnv: 'ENSEMBLE_CANARY_PAT' } },
        retry: { maxRetries: 0 },
        validation: { runTests: 'never' },
      });
      const resolver = buildResolver(config, await api.keys.keySource([PROVIDER]), {});
      assert.ok(resolver.secrets().includes(canary), 'the stored key is among the session\'s secrets');
      const messages: HostMessage[] = [];
      sub = api.feed.onDidMessage((m) => messages.push(m));
      const folder = tempFolder();
      const ended = nextEvent(api.controller.onDidEnd);
      const active = api.controller.start({ goal: 'canary', workspace: folder, config, resolve: (id) => resolver.resolve(id), secrets: resolver.secrets() });
      const state = await active.handle.done;
      await ended;
      api.feed.flush();
      assert.equal(state.status, 'failed');
      assert.ok(JSON.stringify(server.requests.map((r) => r.headers)).includes(canary), 'the SDK sent the stored key');
      const log = fs.readFileSync(path.join(active.handle.dir, 'events.jsonl'), 'utf8');
      // The provider comes from this suite's bundle, whose ProviderError the extension's engine does not
      // recognise (so no status field): the 403 message is what carries the echoed key.
      assert.match(log, /denied access \(403 Forbidden\)[^\n]*\[redacted\]/);
      for (const f of filesUnder(path.join(folder, '.ensemble'))) assert.ok(!fs.readFileSync(f, 'utf8').includes(canary), `the key leaked into ${f}`);
      assert.ok(messages.length > 0 && !JSON.stringify(messages).includes(canary), 'the key leaked into what the panel was sent');
      // Through the extension's own module (this suite's bundle has its own copy, which handled no key).
      assert.equal(api.keys.redactor({}).text(`Ensemble: the provider said ${canary}`), 'Ensemble: the provider said [redacted]');
    });
  });
}
