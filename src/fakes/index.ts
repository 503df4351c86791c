// Local fake provider servers (node:http on 127.0.0.1, a random port) speaking each provider's exact
// wire format, so the real SDKs run offline: in tests, the demo and benchmarks.

import { startAnthropicFake } from './anthropic';
import { startGeminiFake } from './gemini';
import { startOpenAIFake } from './openai';
import type { FakeHandler, FakeServer } from './script';

export type FakeKind = 'openai' | 'anthropic' | 'gemini';

/** The fake that speaks a provider kind's wire protocol (an OpenAI-compatible endpoint speaks OpenAI's). */
export function fakeKindFor(kind: string): FakeKind | undefined {
  if (kind === 'openai-compatible') return 'openai';
  return kind === 'openai' || kind === 'anthropic' || kind === 'gemini' ? kind : undefined;
}

export function startFakeServer(kind: FakeKind, handler: FakeHandler): Promise<FakeServer> {
  switch (kind) {
    case 'openai':
      return startOpenAIFake(handler);
    case 'anthropic':
      return startAnthropicFake(handler);
    case 'gemini':
      return startGeminiFake(handler);
    default: {
      const never: never = kind;
      return Promise.reject(new Error(`Unknown fake kind: ${String(never)}`));
    }
  }
}

export { startAnthropicFake, startGeminiFake, startOpenAIFake };
export type { FakeAnswer, FakeHandler, FakeReply, FakeRequest, FakeServer, FakeToolCall, FakeUsage } from './script';
