// Serves a cassette from a fake provider server: for each request, the entries recorded for its
// provider and its trace key, in order (faults first, as many times as recorded, then the answer,
// as often as asked). A key with only faults keeps failing: an outage lasts.

import type { FakeHandler, FakeReply } from '../fakes/script';
import type { Cassette, CassetteEntry } from './format';

export function cassetteHandler(cassette: Cassette, provider: string): FakeHandler {
  const byKey = new Map<string, CassetteEntry[]>();
  for (const e of cassette.entries) {
    if (e.provider !== provider) continue;
    const list = byKey.get(e.key) ?? [];
    list.push(e);
    byKey.set(e.key, list);
  }
  const hits = new Map<string, number>();
  return (req): FakeReply => {
    const key = req.trace ?? '';
    const list = byKey.get(key);
    if (!list) return { kind: 'error', status: 400, message: `The cassette has no answer for "${key}" on ${provider}.` };
    let n = hits.get(key) ?? 0;
    hits.set(key, n + 1);
    for (const e of list) {
      if ('fault' in e) {
        const times = e.times ?? 1;
        if (n < times) return { kind: 'error', ...e.fault };
        n -= times;
      } else {
        return { kind: 'reply', ...e.reply };
      }
    }
    // Only faults were recorded for this key: the provider stays down for as long as it is asked.
    const last = list.at(-1)!;
    return 'fault' in last ? { kind: 'error', ...last.fault } : { kind: 'error', status: 400, message: `No answer for "${key}" on ${provider}.` };
  };
}
