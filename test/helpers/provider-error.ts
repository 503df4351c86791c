// The ProviderError a promise rejects with (a test fails when it resolves or throws anything else).

import * as assert from 'node:assert/strict';
import { ProviderError } from '../../src/core/ports';

export async function providerFailure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProviderError, `not a ProviderError: ${String(e)}`);
    return e;
  }
  assert.fail('it did not fail');
}
