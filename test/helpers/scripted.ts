// A scripted ChatProvider for engine tests: the engine's port, answered by a function of the request.
// (Provider adapters are tested against wire-exact fake servers instead: see test/unit/providers.)

import { ProviderError, type ChatChunk, type ChatProvider, type ChatRequest, type ProviderErrorInit, type Usage } from '../../src/core/ports';

export type Step =
  | { text?: string; toolCalls?: { name: string; arguments: Record<string, unknown> }[]; usage?: Usage; delayMs?: number }
  | { error: Omit<ProviderErrorInit, 'provider' | 'message'> & { message?: string }; delayMs?: number }
  | { hang: true };

export type Script = (req: ChatRequest, n: number) => Step | Promise<Step>;

export class ScriptedProvider implements ChatProvider {
  readonly requests: ChatRequest[] = [];
  private n = 0;

  constructor(
    readonly id: string,
    private readonly script: Script,
  ) {}

  async *chat(req: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
    this.requests.push(structuredClone(req));
    const step = await this.script(req, this.n++);
    const wait = (ms: number) =>
      new Promise<void>((resolve, reject) => {
        const aborted = () => new ProviderError({ provider: this.id, code: 'aborted', retryable: false, message: 'aborted' });
        if (signal.aborted) return reject(aborted());
        const t = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => (clearTimeout(t), reject(aborted())), { once: true });
      });
    if ('hang' in step) {
      await wait(2 ** 31 - 1);
      return;
    }
    if (step.delayMs) await wait(step.delayMs);
    if ('error' in step) throw new ProviderError({ provider: this.id, message: step.error.message ?? `${this.id} failed (${step.error.code})`, ...step.error });
    if (step.text) yield { type: 'text', text: step.text };
    let i = 0;
    for (const c of step.toolCalls ?? []) yield { type: 'tool_call', call: { id: `call_${this.n}_${i++}`, name: c.name, arguments: c.arguments } };
    yield { type: 'usage', usage: step.usage ?? { input: 100, output: 50 } };
    yield { type: 'end', stopReason: step.toolCalls?.length ? 'tool_calls' : 'end', latencyMs: step.delayMs ?? 1 };
  }
}

/** The conversation key of a request: `task/x` from trace `task/x#3`. */
export const conv = (req: ChatRequest) => (req.trace ?? '').replace(/#\d+$/, '');
export const turn = (req: ChatRequest) => Number((req.trace ?? '#0').split('#')[1]);

/** An agent that writes `files` on its first turn and finishes on its second. */
export function writesThenFinishes(files: Record<string, string>, delayMs = 0): (req: ChatRequest) => Step {
  return (req) =>
    turn(req) === 1
      ? { delayMs, toolCalls: Object.entries(files).map(([path, content]) => ({ name: 'write_file', arguments: { path, content } })) }
      : { delayMs, toolCalls: [{ name: 'finish', arguments: { summary: `wrote ${Object.keys(files).join(', ')}` } }] };
}

export function planStep(tasks: { id: string; role: string; dependsOn?: string[] }[]): Step {
  return {
    toolCalls: [
      {
        name: 'submit_plan',
        arguments: { rationale: 'test plan', tasks: tasks.map((t) => ({ id: t.id, title: `Task ${t.id}`, description: `Do ${t.id}`, role: t.role, dependsOn: t.dependsOn ?? [] })) },
      },
    ],
  };
}
