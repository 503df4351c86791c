// The plan's review (`planApproval`), folded from the plan.* events: the proposals put to the user,
// their edits, the user's feedback and who approved. Part of the one reducer (state.ts applyEvent).

import type { EventOf, TaskSpec } from '../events';

/** A plan put to the user (plan.proposed), as it stands: an edit replaces its tasks. */
export interface ProposedPlan {
  proposal: number;
  source: 'orchestrator' | 'file';
  rationale: string;
  tasks: TaskSpec[];
  estimateUsd: number | null;
  unknownModels: string[];
  /** Models paid by the user's plan (VS Code's), whose calls the estimate leaves out (absent in older logs). */
  planModels?: string[];
}

/** One step of the plan's review, for the timeline: `detail` is the feedback, the edit's errors, or who approved. */
export interface PlanStep {
  seq: number;
  ts: number;
  kind: 'proposed' | 'edit_rejected' | 'edited' | 'feedback' | 'approved';
  proposal: number;
  detail?: string;
}

/** The plan's review (`planApproval`); all empty in logs from before plans were reviewed. */
export interface PlanReviewState {
  proposals: number;
  latest?: ProposedPlan;
  /** The latest proposal waits for the user's answer (approve, edit, replan, cancel). */
  awaiting: boolean;
  /** Why the user's latest edit was refused; cleared by the next answer. */
  editErrors: string[];
  approvedBy?: 'user' | 'auto';
  edited: boolean;
  feedback: string[];
  steps: PlanStep[];
}

export function initialPlanReview(): PlanReviewState {
  return { proposals: 0, awaiting: false, editErrors: [], edited: false, feedback: [], steps: [] };
}

type PlanReviewEvent = EventOf<'plan.proposed'> | EventOf<'plan.edit_rejected'> | EventOf<'plan.edited'> | EventOf<'plan.feedback'> | EventOf<'plan.approved'>;

/** Applies one plan-review event to the review's state, in place. */
export function applyPlanReview(plan: PlanReviewState, e: PlanReviewEvent): void {
  switch (e.type) {
    case 'plan.proposed':
      Object.assign(plan, { proposals: plan.proposals + 1, awaiting: true, editErrors: [], approvedBy: undefined });
      plan.latest = {
        proposal: e.proposal,
        source: e.source,
        rationale: e.rationale,
        tasks: e.tasks,
        estimateUsd: e.estimateUsd,
        unknownModels: e.unknownModels,
        ...(e.planModels ? { planModels: e.planModels } : {}),
      };
      planStep(plan, e, 'proposed');
      break;
    case 'plan.edit_rejected':
      plan.editErrors = e.errors;
      planStep(plan, e, 'edit_rejected', e.errors.join(' '));
      break;
    case 'plan.edited':
      Object.assign(plan, { edited: true, awaiting: false, editErrors: [] });
      if (plan.latest) plan.latest = { ...plan.latest, rationale: e.rationale, tasks: e.tasks };
      planStep(plan, e, 'edited');
      break;
    case 'plan.feedback':
      Object.assign(plan, { awaiting: false, editErrors: [] });
      plan.feedback.push(e.feedback);
      planStep(plan, e, 'feedback', e.feedback);
      break;
    case 'plan.approved':
      Object.assign(plan, { awaiting: false, editErrors: [], approvedBy: e.by });
      planStep(plan, e, 'approved', e.by);
      break;
  }
}

function planStep(plan: PlanReviewState, e: PlanReviewEvent, kind: PlanStep['kind'], detail?: string): void {
  plan.steps.push({ seq: e.seq, ts: e.ts, kind, proposal: e.proposal, ...(detail === undefined ? {} : { detail }) });
}
