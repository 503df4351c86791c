// The confinement of every process a session starts for the project (an agent's run_command, the
// generated tests): the Sandbox port is probed once at the start of each run and its finding logged
// (`sandbox.checked`); while the log says a sandbox is in use, every process is wrapped by it, and one
// it cannot wrap does not run. Without a sandbox (none here, or `commands.sandbox: "off"`) processes run
// as before, and the command policy asks before each one unless the user chose "off"
// (src/core/session/command-policy.ts).

import type { CommandPolicy } from '../config';
import type { EventBody } from '../events';
import type { SandboxUse } from '../fold/sandbox';
import { PROTECTED_NAMES } from '../paths';
import type { CommandRunner, ProcessResult, ProcessSpec, Sandbox, SandboxStatus } from '../ports';

export type SandboxChecked = Extract<EventBody, { type: 'sandbox.checked' }>;

/** The `sandbox.checked` event of a run: what probing found, under the policy's `sandbox` and `network` keys. */
export function sandboxChecked(status: SandboxStatus, policy: Pick<CommandPolicy, 'sandbox' | 'network'>): SandboxChecked {
  const base = { type: 'sandbox.checked' as const, setting: policy.sandbox, network: policy.network };
  if (policy.sandbox === 'off') return { ...base, sandbox: null, reason: 'commands.sandbox is "off"' };
  return status.available ? { ...base, sandbox: status.name } : { ...base, sandbox: null, reason: status.reason };
}

/** A CommandRunner that runs each process in the sandbox while the session's log says one is in use. */
export class SandboxedRunner implements CommandRunner {
  constructor(
    private readonly o: {
      runner: CommandRunner;
      /** Absent: the engine was given none, as on a platform without one. */
      sandbox?: Sandbox;
      policy: Pick<CommandPolicy, 'sandbox' | 'network'>;
      workspace: string;
      /** The live fold: `sandbox` is the latest `sandbox.checked`. */
      state: { sandbox?: SandboxUse };
    },
  ) {}

  /** Probes the sandbox (not when `commands.sandbox` is "off": nothing to probe) and says what this run uses. */
  async check(): Promise<SandboxChecked> {
    const { sandbox, policy } = this.o;
    if (policy.sandbox === 'off') return sandboxChecked({ available: false, reason: 'off' }, policy);
    const status: SandboxStatus = sandbox
      ? await sandbox.probe().catch((e: unknown) => ({ available: false as const, reason: `its probe failed: ${e instanceof Error ? e.message : String(e)}` }))
      : { available: false, reason: 'the engine was given no sandbox' };
    return sandboxChecked(status, policy);
  }

  /** The same runner confining processes to another folder (a candidate's copy of the workspace) instead of the workspace. */
  forFolder(folder: string): SandboxedRunner {
    return new SandboxedRunner({ ...this.o, workspace: folder });
  }

  async run(spec: ProcessSpec): Promise<ProcessResult> {
    const use = this.o.state.sandbox;
    if (!use?.sandbox) return this.o.runner.run(spec);
    let wrapped: ProcessSpec;
    try {
      if (!this.o.sandbox) throw new Error('the engine has no sandbox to run it in');
      wrapped = await this.o.sandbox.wrap(spec, { writable: this.o.workspace, readOnlyNames: PROTECTED_NAMES, network: use.network === 'on' });
    } catch (e) {
      // Never run unconfined what the log says runs in a sandbox.
      const why = e instanceof Error ? e.message : String(e);
      return {
        exitCode: null,
        timedOut: false,
        cancelled: false,
        durationMs: 0,
        output: `[ensemble] not run: ${use.sandbox} could not confine it (${why})\n`,
        omittedChars: 0,
      };
    }
    return this.o.runner.run(wrapped);
  }
}
