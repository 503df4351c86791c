// The `ensemble.review` tree: the focused session's changed files, with where each change came from
// (role, provider) and its review state. Selecting one opens its diff; Keep/Revert are inline actions.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileState } from '../core/fold/state';
import { COMMANDS } from '../protocol';
import { diskUri } from './beforeContent';
import type { SessionFocus, SessionRef } from './focus';
import type { ReviewService } from './reviewService';
import type { SessionController } from './sessionController';

export const REVIEW_VIEW_ID = 'ensemble.review';

export class FileItem extends vscode.TreeItem {
  constructor(
    readonly ref: SessionRef,
    readonly file: FileState,
  ) {
    super(path.posix.basename(file.path), vscode.TreeItemCollapsibleState.None);
    const dir = path.posix.dirname(file.path);
    const who = [file.role, file.provider && `${file.provider}${file.model ? `/${file.model}` : ''}`].filter(Boolean).join(' · ');
    this.id = `${ref.sessionId}:${file.path}`;
    // A file a command changed without a copy from before: said on the row, since it cannot be reverted.
    const unknown = file.beforeUnknown ? 'cannot be reverted' : '';
    this.description = [dir === '.' ? '' : dir, file.change, who, file.review === 'pending' ? '' : file.review, unknown].filter(Boolean).join(' · ');
    this.resourceUri = diskUri(ref, file.path);
    const icon = file.change === 'created' ? 'diff-added' : file.change === 'deleted' ? 'diff-removed' : 'diff-modified';
    const color =
      file.review === 'reverted'
        ? 'disabledForeground'
        : file.change === 'created'
          ? 'gitDecoration.addedResourceForeground'
          : file.change === 'deleted'
            ? 'gitDecoration.deletedResourceForeground'
            : 'gitDecoration.modifiedResourceForeground';
    this.iconPath = new vscode.ThemeIcon(file.review === 'kept' ? 'pass' : file.review === 'reverted' ? 'discard' : icon, new vscode.ThemeColor(color));
    this.tooltip = new vscode.MarkdownString(
      `**${file.path}** — ${file.change}${who ? ` by ${who}` : ''}${file.taskId ? ` (task ${file.taskId})` : ''}\n\nReview: ${file.review}${file.beforeUnknown ? '\n\nChanged by a command an agent ran; Ensemble had no copy of the file from before, so it cannot be reverted.' : ''}`,
    );
    this.contextValue = `ensembleFile.${file.review}`;
    this.accessibilityInformation = { label: `${file.path}, ${file.change}${who ? ` by ${who}` : ''}, ${file.review}` };
    this.command = { command: COMMANDS.openDiff, title: 'Open Change', arguments: [this] };
  }
}

export class ReviewTree implements vscode.TreeDataProvider<FileItem>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly disposables: vscode.Disposable[] = [];
  private live: { dispose(): void } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private view: vscode.TreeView<FileItem> | undefined;

  constructor(
    private readonly focus: SessionFocus,
    private readonly review: ReviewService,
    controller: SessionController,
  ) {
    this.disposables.push(
      focus.onDidChange(() => this.refresh()),
      review.onDidChange(() => this.refresh()),
      controller.onDidStart((a) => {
        this.live?.dispose();
        // Live: a file appears (and can be opened) as soon as its write is logged, whoever made it
        // (an agent's tool, or a command it ran).
        this.live = a.handle.log.onDidAppend((e) => {
          if (e.type === 'file.written' || e.type === 'file.deleted' || e.type === 'file.changed') this.refreshSoon();
        });
      }),
      controller.onDidEnd(() => {
        this.live = undefined;
        this.refresh();
      }),
    );
  }

  attach(view: vscode.TreeView<FileItem>): void {
    this.view = view;
    this.describe([]);
  }

  /** What the view's badge says now (undefined: no badge), for the extension-host tests. */
  get badge(): vscode.ViewBadge | undefined {
    return this.view?.badge;
  }

  getTreeItem(item: FileItem): vscode.TreeItem {
    return item;
  }

  getChildren(item?: FileItem): FileItem[] {
    if (item) return []; // a flat list
    const ref = this.focus.ref;
    const files = ref ? this.review.files(ref) : [];
    this.describe(files);
    return ref ? files.map((f) => new FileItem(ref, f)) : [];
  }

  refresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // The badge and description are set here too: a collapsed view is never asked for its children,
    // and it starts collapsed, so its badge must count the changes while the session runs.
    this.describe(this.review.files());
    this._onDidChangeTreeData.fire();
  }

  private refreshSoon(): void {
    this.timer ??= setTimeout(() => this.refresh(), 250);
  }

  private describe(files: FileState[]): void {
    if (!this.view) return;
    const pending = files.filter((f) => f.review === 'pending').length;
    this.view.description = files.length ? `${pending} of ${files.length} to review` : undefined;
    this.view.badge = pending ? { value: pending, tooltip: `${pending} change${pending === 1 ? '' : 's'} to review` } : undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.live?.dispose();
    for (const d of this.disposables) d.dispose();
    this._onDidChangeTreeData.dispose();
  }
}
