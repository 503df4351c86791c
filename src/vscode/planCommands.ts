// Ensemble: Approve Plan, Edit Plan, Replan with Feedback, Submit Edited Plan — the answers to a plan
// that waits for approval (the panel's buttons run the same commands; tests and keyboard users too).
import * as vscode from 'vscode';
import { COMMANDS } from '../protocol';
import { registerGuarded } from './guard';
import type { PlanReviewService } from './planReview';

export function registerPlanCommands(plans: PlanReviewService): vscode.Disposable[] {
  return [
    registerGuarded(COMMANDS.approvePlan, 'approve a plan', () => plans.approve()),
    // Returns the document it opened (for tests and scripts).
    registerGuarded(COMMANDS.editPlan, 'edit a plan', () => plans.edit()),
    // An optional feedback text (tests, scripts) skips the input box.
    registerGuarded(COMMANDS.replan, 'replan', async (feedback?: unknown) => {
      const p = plans.awaiting;
      if (!p) return plans.replan(''); // says that no plan is waiting
      const text =
        typeof feedback === 'string'
          ? feedback
          : await vscode.window.showInputBox({
              title: `Ensemble: Replan with Feedback (plan ${p.proposal})`,
              prompt: 'What should the orchestrator change in the plan?',
              placeHolder: 'e.g. Put the API and its tests in one task; no front end',
              ignoreFocusOut: true,
              validateInput: (v) => (v.trim() ? undefined : 'Say what should change.'),
            });
      if (text === undefined || !text.trim()) return;
      plans.replan(text);
    }),
    // From the editor title the document's URI comes along; otherwise the document Edit Plan opened.
    registerGuarded(COMMANDS.submitEditedPlan, 'submit an edited plan', (uri?: unknown) => {
      const doc = uri instanceof vscode.Uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) : undefined;
      plans.submitEdited(doc);
    }),
  ];
}
