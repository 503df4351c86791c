// The configuration and task of the best-of-several tests: three candidate providers with very different prices.
import type { TaskSpec } from '../../src/core/events';
import { testConfig } from './session';

export const CHECK = `node -e "process.exit(require('fs').readFileSync('out.txt','utf8').startsWith('good')?0:1)"`;

export const CANDIDATES = [
  { provider: 'pa', model: 'm-a' },
  { provider: 'pb', model: 'm-b' },
  { provider: 'pc', model: 'm-c' },
];

/** The first two candidates. */
export const TWO = CANDIDATES.slice(0, 2);

export function bestOfConfig(extra: Record<string, unknown> = {}) {
  return testConfig({
    providers: Object.fromEntries(['orch', 'p1', 'p2', 'pa', 'pb', 'pc'].map((id) => [id, { kind: 'openai-compatible' }])),
    pricing: {
      'orch/o-1': { input: 1, output: 2 },
      'p1/m-1': { input: 1, output: 2 },
      'p2/m-2': { input: 1, output: 2 },
      'pa/m-a': { input: 0.1, output: 0.1 },
      'pb/m-b': { input: 1000, output: 1000 },
      'pc/m-c': { input: 0.1, output: 0.2 },
    },
    ...extra,
  });
}

export function bestOfTask(extra: Partial<TaskSpec> = {}): TaskSpec {
  return { id: 't1', title: 'Write out.txt', description: 'Write out.txt', role: 'a', dependsOn: [], check: CHECK, candidates: CANDIDATES, ...extra };
}
