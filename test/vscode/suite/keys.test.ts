// API keys: SecretStorage through the key source, then the environment variable.
import * as assert from 'node:assert/strict';
import { getApi, nextEvent } from './helpers';

const PROVIDER = 'ensemble-test-provider';
const ENV = 'ENSEMBLE_TEST_PROVIDER_KEY';

export function registerKeyTests(): void {
  describe('API keys', () => {
    afterEach(async () => {
      delete process.env[ENV];
      await (await getApi()).keys.clear(PROVIDER);
    });

    it('stores a key in SecretStorage and serves it before the environment variable', async () => {
      const { keys } = await getApi();
      process.env[ENV] = 'from-env';
      const changed = nextEvent(keys.onDidChange);
      await keys.set(PROVIDER, '  sk-secret-123  ');
      assert.equal(await changed, PROVIDER);
      assert.equal(await keys.stored(PROVIDER), 'sk-secret-123');
      const source = await keys.keySource([PROVIDER]);
      assert.equal(source.key(PROVIDER, ENV), 'sk-secret-123');
    });

    it('falls back to the environment variable once the stored key is cleared', async () => {
      const { keys } = await getApi();
      await keys.set(PROVIDER, 'sk-secret-123');
      await keys.clear(PROVIDER);
      assert.equal(await keys.stored(PROVIDER), undefined);
      assert.equal((await keys.keySource([PROVIDER])).key(PROVIDER, ENV), undefined);
      process.env[ENV] = '  from-env  ';
      assert.equal((await keys.keySource([PROVIDER])).key(PROVIDER, ENV), 'from-env');
    });

    it('refuses an empty key', async () => {
      const { keys } = await getApi();
      await assert.rejects(keys.set(PROVIDER, '   '), /cannot be empty/);
    });
  });
}
