// The cassette: a readable JSON file of model answers, keyed by conversation and turn
// (`plan#1`, `task/backend#2`, `escalate/frontend#1`) and by provider, so that parallel tasks replay
// correctly whatever order they run in. `ensemble run --record` writes one from a real session;
// `ensemble replay` serves it through the real SDKs from local servers. A cassette never holds a key
// or an auth header: it is made of answers only.

import * as fs from 'node:fs';
import { z } from 'zod';
import { configSchema } from '../core/config';

const toolCall = z.object({ id: z.string().optional(), name: z.string(), arguments: z.record(z.string(), z.unknown()) });
const usage = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  cachedInput: z.number().int().nonnegative().optional(),
  cacheWrite: z.number().int().nonnegative().optional(),
});

const entrySchema = z.union([
  z.object({
    key: z.string().min(1),
    provider: z.string().min(1),
    reply: z.object({
      text: z.string().optional(),
      toolCalls: z.array(toolCall).optional(),
      usage: usage.optional(),
      delayMs: z.number().int().nonnegative().optional(),
    }),
  }),
  z.object({
    key: z.string().min(1),
    provider: z.string().min(1),
    /** An HTTP error served `times` times before the key's next entry. */
    fault: z.object({ status: z.number().int(), message: z.string().optional(), retryAfterS: z.number().optional(), retryAfterMs: z.number().optional() }),
    times: z.number().int().positive().optional(),
  }),
]);

export const cassetteSchema = z.object({
  version: z.literal(1),
  goal: z.string(),
  /** Shown to the user: where the answers came from. */
  note: z.string().optional(),
  /** The configuration the session ran with (roles → providers/models); replay uses it. */
  config: configSchema.optional(),
  entries: z.array(entrySchema),
});

export type Cassette = z.infer<typeof cassetteSchema>;
export type CassetteEntry = z.infer<typeof entrySchema>;

export function parseCassette(json: unknown, where = 'cassette'): Cassette {
  const r = cassetteSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`${where} is not a valid cassette: ${issues}`);
  }
  return r.data;
}

export function loadCassette(file: string): Cassette {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`Cannot read cassette ${file}: ${(e as Error).message}`);
  }
  return parseCassette(json, file);
}

export function saveCassette(file: string, c: Cassette): void {
  fs.writeFileSync(file, JSON.stringify(c, null, 2) + '\n');
}
