// Wiring only: creates the extension's services and registers them in context.subscriptions.
import * as vscode from 'vscode';
import type { EnsembleApi } from './vscode/api';
import { BEFORE_SCHEME, BeforeContentProvider } from './vscode/beforeContent';
import { CANDIDATE_SCHEME, CandidateContentProvider, registerCandidateCommands } from './vscode/candidateDiff';
import { registerModelCommands } from './vscode/modelCommands';
import { PanelFeed } from './vscode/feed';
import { SessionFocus } from './vscode/focus';
import { registerKeyCommands } from './vscode/keyCommands';
import { registerPlanCommands } from './vscode/planCommands';
import { PlanReviewService } from './vscode/planReview';
import { Questions } from './vscode/questions';
import { createOutput, loggedLines, output } from './vscode/output';
import { PANEL_VIEW_ID, PanelProvider } from './vscode/panel';
import { registerReviewCommands } from './vscode/reviewCommands';
import { ReviewService } from './vscode/reviewService';
import { REVIEW_VIEW_ID, ReviewTree } from './vscode/reviewTree';
import { COMMANDS } from './protocol';
import { ApiKeys } from './vscode/secrets';
import { registerSessionCommands } from './vscode/sessionCommands';
import { SessionController } from './vscode/sessionController';
import { SessionNotifications } from './vscode/sessionUi';
import { listSessions } from './core/store/sessions';
import { SessionStatusBar } from './vscode/statusBar';
import { SessionTicker } from './vscode/sessionTicker';

const workspacePaths = (): string[] => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);

export function activate(context: vscode.ExtensionContext): EnsembleApi {
  const keys = new ApiKeys(context.secrets);
  // Until a session starts here, the panel shows the workspace's newest one, looked up when first shown.
  const plans = new PlanReviewService();
  const focus = new SessionFocus(() => {
    const newest = listSessions(workspacePaths(), 1)[0];
    return newest && { workspace: newest.workspace, sessionId: newest.sessionId };
  });
  // What a session asks (may an agent run a command or call an MCP tool, may the tests run): in the panel and a notification, never a modal.
  const questions = new Questions();
  const controller = new SessionController({
    extensionPath: context.extensionPath,
    consent: questions.consentToTests,
    reviewPlan: plans.reviewer,
    approveCommand: questions.approveCommand,
    approveMcp: questions.approveMcp,
    chooseCandidate: questions.chooseCandidate,
  });
  const feed = new PanelFeed(focus, controller, workspacePaths);
  const review = new ReviewService(focus, controller);
  const tree = new ReviewTree(focus, review, controller);
  const treeView = vscode.window.createTreeView(REVIEW_VIEW_ID, { treeDataProvider: tree });
  tree.attach(treeView);
  const panel = new PanelProvider(context.extensionUri, feed, focus, plans, questions);
  // The status bar and the progress notification redraw on one beat: the same figures at the same moment.
  const ticker = new SessionTicker(controller);
  const statusBar = new SessionStatusBar(controller, ticker);
  const notifications = new SessionNotifications(controller, ticker);

  context.subscriptions.push(
    createOutput(controller, context.extensionMode === vscode.ExtensionMode.Test),
    vscode.commands.registerCommand(COMMANDS.showLog, () => output.show()),
    keys,
    focus,
    controller,
    plans,
    questions,
    controller.onDidEnd(() => questions.withdrawAll()),
    feed,
    review,
    tree,
    treeView,
    panel,
    vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, panel),
    vscode.workspace.registerTextDocumentContentProvider(BEFORE_SCHEME, new BeforeContentProvider()),
    vscode.workspace.registerTextDocumentContentProvider(CANDIDATE_SCHEME, new CandidateContentProvider()),
    ticker,
    statusBar,
    notifications,
    // A session started in this window takes the focus: the panel and the review tree follow it.
    controller.onDidStart((a) => focus.set(a.ref)),
    plans.follow(controller.onDidStart),
    review.onDidChange(() => feed.refresh()),
    ...registerSessionCommands(controller, keys, focus),
    ...registerKeyCommands(keys),
    registerModelCommands(keys),
    ...registerPlanCommands(plans),
    ...registerReviewCommands(focus, review),
    ...registerCandidateCommands(focus, controller),
  );

  return {
    controller,
    keys,
    review,
    feed,
    focus,
    plans,
    questions,
    changesBadge: () => tree.badge,
    logged: loggedLines,
    progress: () => ({ statusBar: statusBar.text, notification: notifications.message }),
  };
}

export function deactivate(): void {}
