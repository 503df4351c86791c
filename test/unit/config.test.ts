// Configuration: the defaults, the keys each provider needs, and clear errors for bad settings.

import * as assert from 'node:assert/strict';
import { pricingFor } from '../../src/core/money/pricing';
import { missingKeys, resolveConfig, ConfigError } from '../../src/core/config';

describe('configuration', () => {
  it('defaults to the seed: orchestrator on Claude, frontend OpenAI, backend Gemini, QA a cheap OpenAI model', () => {
    const c = resolveConfig({});
    assert.equal(c.orchestrator.provider, 'anthropic');
    assert.deepEqual([c.roles.frontend!.provider, c.roles.backend!.provider, c.roles.qa!.provider], ['openai', 'gemini', 'openai']);
    const million = { input: 1_000_000, output: 0 };
    assert.ok(pricingFor(c).cost(c.roles.qa!, million)! < pricingFor(c).cost(c.roles.frontend!, million)!);
  });

  it('names each missing key and its variable', () => {
    const missing = missingKeys(resolveConfig({}), (id) => id === 'openai');
    assert.deepEqual(missing.map((m) => [m.provider, m.envVar]), [['anthropic', 'ANTHROPIC_API_KEY'], ['gemini', 'GEMINI_API_KEY']]);
  });

  it('rejects a role on an undefined provider with a clear message', () => {
    assert.throws(() => resolveConfig({ roles: { ui: { provider: 'nope', model: 'x' } } }), (e: unknown) => e instanceof ConfigError && /roles\.ui uses provider "nope"/.test(e.message));
  });
});
