// What `activate()` returns: the extension's services, for the extension-host test suite (and any
// extension that wants to drive Ensemble). The commands use these same objects.
import type { SessionFocus } from './focus';
import type { PanelFeed } from './feed';
import type { PlanReviewService } from './planReview';
import type { Questions } from './questions';
import type { ReviewService } from './reviewService';
import type { ApiKeys } from './secrets';
import type { SessionController } from './sessionController';

export interface EnsembleApi {
  readonly controller: SessionController;
  readonly keys: ApiKeys;
  readonly review: ReviewService;
  readonly feed: PanelFeed;
  readonly focus: SessionFocus;
  /** The plan waiting for approval, and its answers. */
  readonly plans: PlanReviewService;
  /** What the running session asks the user (commands to run, the generated tests), and their answers. */
  readonly questions: Questions;
  /** The Changes view's badge, as the user sees it (set even while the view is collapsed). */
  readonly changesBadge: () => { value: number; tooltip: string } | undefined;
  /** What the Ensemble Output channel was sent (`<level> <line>`): only when run by the extension-host tests. */
  readonly logged: () => readonly string[] | undefined;
  /** What the status bar item and the progress notification say now (the same line, redrawn on the same beat). */
  readonly progress: () => { statusBar: string; notification: string | undefined };
}
