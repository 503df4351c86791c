// Records a real session's model answers into a cassette by wrapping each ChatProvider. Only
// answers (text, tool calls, usage) and HTTP faults are kept: never a request header or a key. A
// fault's message may quote the key (providers echo it in 400/401/403 bodies): the cassette is redacted.

import type { ChatChunk, ChatProvider, ChatRequest, ToolCall, Usage } from '../core/ports';
import { ProviderError } from '../core/ports';
import { Redactor } from '../core/redact';
import type { Cassette, CassetteEntry } from './format';

export class CassetteRecorder {
  private readonly entries: CassetteEntry[] = [];

  wrap(inner: ChatProvider): ChatProvider {
    const entries = this.entries;
    return {
      id: inner.id,
      async *chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
        const key = request.trace ?? '';
        let text = '';
        const toolCalls: ToolCall[] = [];
        let usage: Usage | undefined;
        try {
          for await (const chunk of inner.chat(request, signal)) {
            if (chunk.type === 'text') text += chunk.text;
            else if (chunk.type === 'tool_call') toolCalls.push(chunk.call);
            else if (chunk.type === 'usage') usage = chunk.usage;
            else if (chunk.type === 'end') {
              entries.push({
                key,
                provider: inner.id,
                reply: {
                  text: text || undefined,
                  toolCalls: toolCalls.length ? toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) : undefined,
                  usage: usage && { input: usage.input, output: usage.output, cachedInput: usage.cachedInput, cacheWrite: usage.cacheWrite },
                },
              });
            }
            yield chunk;
          }
        } catch (e) {
          if (e instanceof ProviderError && e.status !== undefined) {
            const last = entries.at(-1);
            const fault = { status: e.status, message: e.message, retryAfterMs: e.retryAfterMs };
            if (last && 'fault' in last && last.key === key && last.provider === inner.id && last.fault.status === e.status) last.times = (last.times ?? 1) + 1;
            else entries.push({ key, provider: inner.id, fault });
          }
          throw e;
        }
      },
    };
  }

  cassette(goal: string, config: Cassette['config'], note: string, redactor: Redactor = new Redactor()): Cassette {
    return redactor.value({ version: 1, goal, note, config, entries: [...this.entries] });
  }
}
