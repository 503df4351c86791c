// The `vscode-lm` provider kind in the configuration: one list of kinds (src/providers/kinds.json; the
// settings schema and the engine's traits agree with it), the built-in `vscode` provider needing no key, and
// the command line refusing a binding to it before anything runs (exit 2), naming the role.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILTIN_PROVIDERS, editorOnlyBindings, keyEnvVar, KIND_TRAITS, kindInfo, missingKeys, resolveConfig } from '../../src/core/config';
import { buildResolver, envKeys } from '../../src/node/providers';
import { ALL_KINDS, HOST_KINDS } from '../../src/providers';
import { ensemble } from '../helpers/cli';
import { tempWorkspace } from '../helpers/tmp';
import { ScriptedProvider } from '../helpers/scripted';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));

describe('vscode-lm: configuration', () => {
  it('one list of provider kinds (src/providers/kinds.json): the engine\'s traits and the settings schema agree with it', () => {
    const schema = pkg.contributes.configuration.properties['ensemble.providers'].additionalProperties.properties;
    assert.deepEqual(schema.kind.enum, ALL_KINDS);
    assert.deepEqual(HOST_KINDS, ['vscode-lm']);
    // Every kind with traits of its own is a kind of the list; every kind no SDK serves has traits (it is reached by a host).
    for (const k of Object.keys(KIND_TRAITS)) assert.ok(ALL_KINDS.includes(k), `KIND_TRAITS names ${k}, which src/providers/kinds.json does not list`);
    for (const k of HOST_KINDS) assert.notEqual(kindInfo(k).reach, 'anywhere', `${k} is built by a host: KIND_TRAITS must say where it can be reached`);
    assert.deepEqual(kindInfo('openai'), { key: 'required', billing: 'tokens', reach: 'anywhere' });
    assert.ok(schema.vendor, 'the schema has `vendor`');
    assert.throws(() => buildResolver(resolveConfig({ providers: { x: { kind: 'nope' } } }), envKeys({}), {}), /kind "nope", which this version of Ensemble does not know\. Kinds: openai, anthropic, gemini, openai-compatible, vscode-lm\./);
  });

  it('`vscode` is built in, needs no key, and only the editor can build it', () => {
    assert.deepEqual(BUILTIN_PROVIDERS.vscode, { kind: 'vscode-lm' });
    assert.equal(keyEnvVar('vscode', { kind: 'vscode-lm', apiKeyEnv: 'NOPE' }), undefined);
    const cfg = resolveConfig({ orchestrator: { provider: 'vscode', model: 'claude-sonnet-4' }, roles: { a: { provider: 'copilot', model: 'gpt-4.1' } }, providers: { copilot: { kind: 'vscode-lm', vendor: 'copilot' } } });
    assert.equal(cfg.providers.copilot!.vendor, 'copilot');
    assert.deepEqual(missingKeys(cfg, () => false), []);
    const cli = buildResolver(cfg, envKeys({}), {});
    assert.equal(cli.resolve('vscode'), undefined, 'the command line cannot reach VS Code\'s models');
    const built: string[] = [];
    const editor = buildResolver(cfg, envKeys({}), {}, undefined, { 'vscode-lm': (id, p) => (built.push(`${id}:${p.vendor ?? '*'}`), new ScriptedProvider(id, () => ({ text: 'x' }))) });
    assert.equal(editor.resolve('copilot')?.id, 'copilot');
    assert.equal(editor.resolve('vscode')?.id, 'vscode');
    assert.deepEqual(built, ['copilot:copilot', 'vscode:*']);
    assert.deepEqual(editorOnlyBindings(cfg).map((b) => b.who), ['orchestrator', 'roles.a']);
  });

  it('the command line refuses a binding to VS Code\'s models before anything runs (exit 2), naming the role and what to use instead', async () => {
    const ws = tempWorkspace();
    fs.mkdirSync(path.join(ws, '.ensemble'));
    const file = path.join(ws, '.ensemble', 'config.json');
    fs.writeFileSync(file, JSON.stringify({ roles: { frontend: { provider: 'vscode', model: 'gpt-4.1' }, qa: { provider: 'openai', model: 'gpt-5-mini', fallback: { provider: 'vscode', model: 'claude-sonnet-4' } } } }));
    for (const args of [['run', '--goal', 'x', '--workspace', ws], ['plan', '--goal', 'x', '--workspace', ws]]) {
      const r = await ensemble(args, { OPENAI_API_KEY: 'sk-test-not-used', ANTHROPIC_API_KEY: 'sk-ant-test' });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /roles\.frontend uses provider "vscode" \(model gpt-4\.1\): VS Code's language models can only be used by the Ensemble extension inside VS Code, not from the command line/);
      assert.match(r.stderr, /roles\.qa\.fallback uses provider "vscode"/);
      assert.match(r.stderr, new RegExp(`In ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, bind roles\\.frontend or roles\\.qa\\.fallback to a provider with an API key \\(openai, anthropic or gemini\\) or an openai-compatible endpoint`));
      assert.ok(!fs.existsSync(path.join(ws, '.ensemble', 'sessions')), 'no session was started');
    }
  });
});
