// Registration, Restricted Mode, settings → engine config, the panel's HTML.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { defaultConfig } from '../../../src/core/config';
import { COMMANDS, isWebviewMessage } from '../../../src/protocol';
import { panelHtml } from '../../../src/vscode/html';
import { configFromSettings, readSettings, SettingsError } from '../../../src/vscode/settings';
import { ensureTrusted, trustRefusal } from '../../../src/vscode/trust';
import { EXTENSION_ID, getApi } from './helpers';

export function registerCommandTests(): void {
  describe('commands and manifest', () => {
    before(async () => void (await getApi()));

    it('registers every contributed command, each in the Ensemble category', async () => {
      const all = await vscode.commands.getCommands(true);
      for (const id of Object.values(COMMANDS)) assert.ok(all.includes(id), `${id} is not registered`);
      const contributed = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string; category: string; title: string }[];
      assert.deepEqual(contributed.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
      for (const c of contributed) {
        assert.equal(c.category, 'Ensemble');
        // Title Case as VS Code writes it: short articles, conjunctions and prepositions stay small ("Open in Integrated Terminal").
        assert.match(c.title, /^[A-Z]\w*( ([A-Z]\w*|a|an|and|as|at|by|for|in|of|on|or|the|to|with))* [A-Z]\w*$|^[A-Z]\w*$/, `title "${c.title}" is not Title Case`);
      }
    });

    it('refuses in an untrusted workspace, with the reason', () => {
      assert.equal(trustRefusal('start a session', true), undefined);
      const why = trustRefusal('start a session', false);
      assert.match(why ?? '', /cannot start a session in Restricted Mode/);
      assert.match(why ?? '', /trusted workspace/);
      assert.equal(ensureTrusted('start a session', true), true);
      assert.equal(ensureTrusted('start a session', false), false);
    });

    it('builds the engine config from the settings, naming a bad one', () => {
      const d = defaultConfig();
      const fromDefaults = readSettings();
      assert.deepEqual(fromDefaults.orchestrator, d.orchestrator);
      assert.deepEqual(Object.keys(fromDefaults.roles).sort(), Object.keys(d.roles).sort());
      assert.equal(fromDefaults.validation.runTests, 'ask');
      const custom = configFromSettings({ roles: { docs: { provider: 'local', model: 'm' } }, providers: { local: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' } }, 'validation.runTests': 'never', budgetUsd: 2 });
      assert.deepEqual(Object.keys(custom.roles), ['docs']);
      assert.equal(custom.validation.runTests, 'never');
      assert.equal(custom.budgetUsd, 2);
      assert.throws(() => configFromSettings({ maxConcurrency: 0 }), (e: unknown) => e instanceof SettingsError && e.setting === 'ensemble.maxConcurrency');
      const tuned = configFromSettings({ retry: { maxRetries: 1 }, 'validation.runTests': 'always', 'validation.timeoutMs': 5000, maxTurns: 7 });
      assert.deepEqual([tuned.retry.maxRetries, tuned.validation.runTests, tuned.validation.timeoutMs, tuned.maxTurns], [1, 'always', 5000, 7]);
      assert.throws(() => configFromSettings({ 'validation.timeoutMs': -1 }), (e: unknown) => e instanceof SettingsError && e.setting === 'ensemble.validation.timeoutMs');
      assert.throws(() => configFromSettings({ 'validation.runTests': 'sometimes' }), (e: unknown) => e instanceof SettingsError && e.setting === 'ensemble.validation.runTests');
      assert.throws(() => configFromSettings({ roles: { x: { provider: 'nowhere', model: 'm' } } }), (e: unknown) => e instanceof SettingsError && /ensemble\.roles\.x uses provider "nowhere"/.test(e.message));
    });

    it("reads the MCP settings: ensemble.mcpServers in mcp.json's shape, ensemble.mcp, a role's mcp list", () => {
      const c = configFromSettings({ mcpServers: { docs: { url: 'http://127.0.0.1:1/mcp' } }, mcp: { allow: ['docs/*'] }, roles: { dev: { provider: 'openai', model: 'gpt-5', mcp: ['docs'] } } });
      assert.deepEqual(c.mcpServers.docs, { type: 'http', url: 'http://127.0.0.1:1/mcp', headers: {} });
      assert.deepEqual([c.mcp.run, c.mcp.allow], ['ask', ['docs/*']]);
      assert.deepEqual(c.roles.dev!.mcp, ['docs']);
      assert.throws(() => configFromSettings({ mcp: { run: 'sometimes' } }), (e: unknown) => e instanceof SettingsError && e.setting === 'ensemble.mcp');
      const props = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.configuration.properties as Record<string, unknown>;
      assert.ok(props['ensemble.mcpServers'] && props['ensemble.mcp']);
    });

    it('serves the panel under a strict CSP with a nonce, resources through asWebviewUri', () => {
      const root = vscode.Uri.file('/ext');
      const webview = { cspSource: 'https://csp.example', asWebviewUri: (u: vscode.Uri) => u.with({ scheme: 'https', authority: 'csp.example' }) } as unknown as vscode.Webview;
      const html = panelHtml(webview, root, 'N0NCE');
      assert.match(html, /default-src 'none'; style-src https:\/\/csp\.example 'nonce-N0NCE'; script-src 'nonce-N0NCE'; font-src https:\/\/csp\.example/);
      assert.match(html, /<meta property="csp-nonce" content="N0NCE">/);
      assert.match(html, /<script nonce="N0NCE" src="https:\/\/csp\.example\/ext\/dist\/webview\.js"><\/script>/);
      assert.doesNotMatch(html, /\b(async|defer|type="module")\b/);
      assert.notEqual(panelHtml(webview, root), panelHtml(webview, root), 'a fresh nonce each time');
    });

    it('accepts only well-formed messages from the panel', () => {
      assert.ok(isWebviewMessage({ type: 'ready' }));
      assert.ok(isWebviewMessage({ type: 'run', command: 'ensemble.start' }));
      assert.ok(!isWebviewMessage({ type: 'run', command: 'workbench.action.terminal.new' }));
      assert.ok(!isWebviewMessage({ type: 'openDiff' }));
      assert.ok(isWebviewMessage({ type: 'resumeSession', sessionId: '20261124-000000-abcdef' }));
      assert.ok(!isWebviewMessage({ type: 'resumeSession', sessionId: '' }));
      assert.ok(!isWebviewMessage('ready'));
    });

    it('shows the panel and the review view', async () => {
      await vscode.commands.executeCommand('ensemble.panel.focus');
      await vscode.commands.executeCommand('ensemble.review.focus');
    });
  });
}
