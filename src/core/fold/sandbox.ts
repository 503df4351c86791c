// Where commands and the generated tests run: the latest `sandbox.checked`, and what confined each
// process that ran (the report's commands and validation say it).

import type { EventBody } from '../events';

export type SandboxUse = Omit<Extract<EventBody, { type: 'sandbox.checked' }>, 'type'>;

/** What confined a process that ran: the sandbox (null: none), and whether it had the network (always, without a sandbox). */
export interface Confinement {
  sandbox: string | null;
  network: 'on' | 'off';
}

/** The confinement of a process started now, as the latest `sandbox.checked` says (none in logs from before it was recorded). */
export function confinementNow(s: { sandbox?: SandboxUse }): Confinement {
  const name = s.sandbox?.sandbox ?? null;
  return { sandbox: name, network: name === null ? 'on' : (s.sandbox?.network ?? 'on') };
}
