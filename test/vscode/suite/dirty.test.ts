// An agent never writes under an editor's unsaved changes: a file open with edits not yet saved is a
// conflict (file.refused), the file on disk and the editor's text stay the user's, and other files
// are still written. A real session through the controller the commands use; the model's answers come
// from a scripted ChatProvider (the engine's port), so no server or key is involved.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveConfig } from '../../../src/core/config';
import { readEvents } from '../../../src/core/store/log';
import type { EnsembleApi } from '../../../src/vscode/api';
import { conv, planStep, ScriptedProvider, turn } from '../../helpers/scripted';
import { getApi, tempFolder, withTimeout } from './helpers';

export function registerDirtyTests(): void {
  describe('unsaved editor changes are never overwritten', function () {
    this.timeout(60_000);
    let api: EnsembleApi;
    let folder: string;

    before(async () => {
      api = await getApi();
      folder = tempFolder();
    });

    after(async () => {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      fs.rmSync(folder, { recursive: true, force: true });
    });

    it('refuses the write as a conflict and leaves the editor and the disk as the user has them', async () => {
      const open = path.join(folder, 'open.js');
      fs.writeFileSync(open, 'on disk\n');
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(open));
      const editor = await vscode.window.showTextDocument(doc);
      assert.ok(await editor.edit((e) => e.insert(new vscode.Position(0, 0), '// typed by the user, not saved\n')));
      assert.ok(doc.isDirty);

      const agent = new ScriptedProvider('p1', (req) =>
        conv(req) === 'task/t1' && turn(req) === 1
          ? { toolCalls: [{ name: 'write_file', arguments: { path: 'open.js', content: 'agent\n' } }, { name: 'write_file', arguments: { path: 'closed.js', content: 'agent\n' } }] }
          : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      );
      const providers: Record<string, ScriptedProvider> = { orch: new ScriptedProvider('orch', () => planStep([{ id: 't1', role: 'dev' }])), p1: agent };
      const config = resolveConfig({
        orchestrator: { provider: 'orch', model: 'o' },
        roles: { dev: { provider: 'p1', model: 'm' } },
        providers: { orch: { kind: 'openai-compatible' }, p1: { kind: 'openai-compatible' } },
        validation: { runTests: 'never' },
      });
      const active = api.controller.start({ goal: 'write under a dirty editor', workspace: folder, config, resolve: (id) => providers[id] });
      const state = await withTimeout(active.handle.done, 30_000, 'the session to end');
      assert.equal(state.status, 'completed', state.error);

      assert.equal(fs.readFileSync(open, 'utf8'), 'on disk\n', 'the file on disk is untouched');
      assert.ok(doc.isDirty, 'the editor still holds the unsaved changes');
      assert.equal(doc.getText(), '// typed by the user, not saved\non disk\n');
      assert.equal(fs.readFileSync(path.join(folder, 'closed.js'), 'utf8'), 'agent\n', 'a file not open is written');
      const refused = readEvents(path.join(active.handle.dir, 'events.jsonl')).events.filter((e) => e.type === 'file.refused');
      assert.deepEqual(refused.map((e) => e.type === 'file.refused' && [e.path, e.reason]), [['open.js', 'conflict']]);
      assert.match(refused[0]!.type === 'file.refused' ? refused[0]!.message : '', /unsaved changes/);
    });
  });
}
