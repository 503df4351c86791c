// The one session of this window: starts (a run, the demo replay, or a resume), follows and cancels
// it. The commands and the test suite drive sessions through this class alone; the progress
// notification, the status bar and the panel listen to its events.
import * as vscode from 'vscode';
import type { EngineConfig } from '../core/config';
import type { EngineDeps, SessionHandle } from '../core/session/session';
import type { SessionState } from '../core/fold/state';
import { dirtyEditors } from './dirty';
import { withTrust } from './trust';
import type { SessionRef } from './focus';
import { runtime } from './lazy';

export type SessionKind = 'run' | 'demo' | 'resume';

export interface ActiveSession {
  readonly handle: SessionHandle;
  readonly ref: SessionRef;
  readonly kind: SessionKind;
}

export interface EndedSession extends ActiveSession {
  readonly state: SessionState;
}

export class SessionBusyError extends Error {
  constructor(readonly active: ActiveSession | undefined) {
    super('An Ensemble session is already running in this window.');
    this.name = 'SessionBusyError';
  }
}

type Consent = NonNullable<EngineDeps['consent']>;
type Approve = NonNullable<EngineDeps['approveCommand']>;
type ApproveMcp = NonNullable<EngineDeps['approveMcp']>;
type ChooseCandidate = NonNullable<EngineDeps['chooseCandidate']>;

export interface RunRequest {
  goal: string;
  workspace: string;
  config: EngineConfig;
  resolve: EngineDeps['resolve'];
  /** The keys and credential headers the session uses, redacted from its log and report. */
  secrets?: readonly string[];
  /** Overrides the question whether the generated tests may run (tests). */
  consent?: Consent;
  /** Overrides the question whether an agent may run a command (tests). */
  approveCommand?: Approve;
}

export class SessionController implements vscode.Disposable {
  private current: ActiveSession | undefined;
  private starting = false;
  private readonly _onDidStart = new vscode.EventEmitter<ActiveSession>();
  readonly onDidStart = this._onDidStart.event;
  private readonly _onDidEnd = new vscode.EventEmitter<EndedSession>();
  readonly onDidEnd = this._onDidEnd.event;

  /**
   * `reviewPlan`: asks the user about a proposed plan (with `ensemble.planApproval` "ask"); `approveCommand`, `approveMcp`: ask about a
   * command, an MCP call, the policy does not allow; `consent`: about running the generated tests; `chooseCandidate`: which of a
   * race's candidates to apply (with `ensemble.candidateApproval` "ask").
   */
  constructor(
    private readonly opts: {
      extensionPath: string;
      consent: Consent;
      approveCommand: Approve;
      approveMcp?: ApproveMcp;
      reviewPlan?: EngineDeps['reviewPlan'];
      chooseCandidate?: ChooseCandidate;
    },
  ) {}

  get active(): ActiveSession | undefined {
    return this.current;
  }

  get busy(): boolean {
    return this.starting || !!this.current;
  }

  start(req: RunRequest): ActiveSession {
    return this.launch(
      req.workspace,
      'run',
      (deps) => runtime().startSession({ goal: req.goal, config: withTrust(req.config, vscode.workspace.isTrusted), deps }),
      req,
    );
  }

  /** Continues an unfinished session from its folder (`.ensemble/sessions/<id>`). */
  resume(req: Omit<RunRequest, 'goal'> & { dir: string }): ActiveSession {
    return this.launch(
      req.workspace,
      'resume',
      (deps) => runtime().resumeSession({ dir: req.dir, config: withTrust(req.config, vscode.workspace.isTrusted), deps }),
      req,
    );
  }

  private launch(
    workspace: string,
    kind: SessionKind,
    open: (deps: EngineDeps) => SessionHandle,
    req: Pick<RunRequest, 'resolve' | 'consent' | 'secrets' | 'approveCommand'>,
  ): ActiveSession {
    this.claim();
    try {
      return this.track(open(this.deps(kind, workspace, req.resolve, req.consent, req.secrets, req.approveCommand)), workspace, kind);
    } finally {
      this.starting = false;
    }
  }

  /** Replays the demo cassette (scripted answers, local servers, no key) into `folder`. */
  async startDemo(
    folder: string,
    o: { runTests?: EngineConfig['validation']['runTests']; consent?: Consent; approveCommand?: Approve } = {},
  ): Promise<ActiveSession> {
    this.claim();
    try {
      const rt = runtime();
      const cassette = rt.loadCassette(rt.demoCassettePath(this.opts.extensionPath));
      const replay = await rt.startReplay(cassette);
      try {
        const config: EngineConfig = withTrust(
          { ...replay.config, validation: { ...replay.config.validation, runTests: o.runTests ?? replay.config.validation.runTests } },
          vscode.workspace.isTrusted,
        );
        const handle = rt.startSession({
          goal: cassette.goal,
          config,
          deps: this.deps('demo', folder, replay.resolve, o.consent, undefined, o.approveCommand),
          scripted: true,
        });
        void handle.done.finally(() => replay.close());
        return this.track(handle, folder, 'demo');
      } catch (e) {
        await replay.close();
        throw e;
      }
    } finally {
      this.starting = false;
    }
  }

  /** Cancels the running session; false when none runs. */
  cancel(reason = 'cancelled by the user'): boolean {
    if (!this.current) return false;
    this.current.handle.cancel(reason);
    return true;
  }

  private claim(): void {
    if (this.busy) throw new SessionBusyError(this.current);
    this.starting = true;
  }

  private deps(
    kind: SessionKind,
    workspace: string,
    resolve: EngineDeps['resolve'],
    consent: Consent | undefined,
    secrets?: readonly string[],
    approveCommand?: Approve,
  ): EngineDeps {
    // Named to a second session (the CLI's, another window's) that would start in this workspace meanwhile.
    const command = `VS Code: ${kind === 'run' ? 'Start Orchestration' : kind === 'demo' ? 'Start Demo' : 'Resume Session'}`;
    const rt = runtime();
    // search_files runs the ripgrep VS Code ships (else one on PATH; else the engine reads the files).
    return {
      command,
      ...rt.nodeWorkspace(workspace, { rgPath: rt.bundledRipgrep(vscode.env.appRoot) }),
      resolve,
      consent: consent ?? this.opts.consent,
      approveCommand: approveCommand ?? this.opts.approveCommand,
      approveMcp: this.opts.approveMcp,
      secrets,
      isDirty: dirtyEditors(workspace),
      reviewPlan: this.opts.reviewPlan,
      chooseCandidate: this.opts.chooseCandidate,
    };
  }

  private track(handle: SessionHandle, workspace: string, kind: SessionKind): ActiveSession {
    const active: ActiveSession = { handle, ref: { workspace, sessionId: handle.sessionId }, kind };
    this.current = active;
    void vscode.commands.executeCommand('setContext', 'ensemble.running', true);
    void handle.done.then((state) => {
      if (this.current === active) this.current = undefined;
      void vscode.commands.executeCommand('setContext', 'ensemble.running', false);
      this._onDidEnd.fire({ ...active, state });
    });
    this._onDidStart.fire(active);
    return active;
  }

  dispose(): void {
    this.cancel('the VS Code window closed');
    this._onDidStart.dispose();
    this._onDidEnd.dispose();
  }
}
