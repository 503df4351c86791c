// Wiring only: creates the extension's services and registers them in context.subscriptions.
import * as vscode from 'vscode';
import type { EnsembleApi } from './vscode/api';
import { BEFORE_SCHEME, BeforeContentProvider } from './vscode/beforeContent';
import { registerChooseModels } from './vscode/chooseModels';
import { askToRunCommand, askToRunTests } from './vscode/engine';
import { PanelFeed } from './vscode/feed';
import { SessionFocus } from './vscode/focus';
import { registerKeyCommands } from './vscode/keyCommands';
import { registerPlanCommands } from './vscode/planCommands';
import { PlanReviewService } from './vscode/planReview';
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

const workspacePaths = (): string[] => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);

export function activate(context: vscode.ExtensionContext): EnsembleApi {
  const keys = new ApiKeys(context.secrets);
  // Until a session starts here, the panel shows the workspace's newest one, looked up when first shown.
  const plans = new PlanReviewService();
  const focus = new SessionFocus(() => {
    const newest = listSessions(workspacePaths(), 1)[0];
    return newest && { workspace: newest.workspace, sessionId: newest.sessionId };
  });
  const controller = new SessionController({ extensionPath: context.extensionPath, consent: askToRunTests, reviewPlan: plans.reviewer, approveCommand: askToRunCommand });
  const feed = new PanelFeed(focus, controller, workspacePaths);
  const review = new ReviewService(focus, controller);
  const tree = new ReviewTree(focus, review, controller);
  const treeView = vscode.window.createTreeView(REVIEW_VIEW_ID, { treeDataProvider: tree });
  tree.attach(treeView);
  const panel = new PanelProvider(context.extensionUri, feed, focus, plans);

  context.subscriptions.push(
    createOutput(controller, context.extensionMode === vscode.ExtensionMode.Test),
    vscode.commands.registerCommand(COMMANDS.showLog, () => output.show()),
    keys,
    focus,
    controller,
    plans,
    feed,
    review,
    tree,
    treeView,
    panel,
    vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, panel),
    vscode.workspace.registerTextDocumentContentProvider(BEFORE_SCHEME, new BeforeContentProvider()),
    new SessionStatusBar(controller),
    new SessionNotifications(controller),
    // A session started in this window takes the focus: the panel and the review tree follow it.
    controller.onDidStart((a) => focus.set(a.ref)),
    review.onDidChange(() => feed.refresh()),
    ...registerSessionCommands(controller, keys, focus),
    ...registerKeyCommands(keys),
    registerChooseModels(keys),
    ...registerPlanCommands(plans),
    ...registerReviewCommands(focus, review),
  );

  return { controller, keys, review, feed, focus, plans, changesBadge: () => tree.badge, logged: loggedLines };
}

export function deactivate(): void {}
