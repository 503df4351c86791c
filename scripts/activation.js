// Loads an extension bundle (argv[2], e.g. dist/extension.js) in this fresh process with a stub
// `vscode` module, calls its activate(), and prints {loadMs, activateMs, loaded} as JSON: what
// activating Ensemble costs before any session exists (scripts/bench.ts `activation_ms`, and
// test/unit/bundle.test.ts, which checks that activation loads no session runtime). node:fs, node:path
// and node:crypto are loaded first, untimed: the extension host has them loaded already.
'use strict';
const Module = require('node:module');
const path = require('node:path');
require('node:fs');
require('node:crypto');

const noop = () => undefined;
const disposable = { dispose: noop };
// Anything at once: a function, a constructor, a namespace, a disposable; every call returns it again.
const any = new Proxy(function () {}, {
  get: (_t, k) => (k === 'then' ? undefined : k === 'dispose' ? noop : k === Symbol.toPrimitive ? () => '' : any),
  apply: () => any,
  construct: () => any,
  set: () => true,
  defineProperty: () => true,
});
class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (f) => (this.listeners.push(f), disposable);
  }
  fire(x) {
    for (const f of this.listeners) f(x);
  }
  dispose() {}
}
class Value {
  constructor(...args) {
    this.args = args;
  }
}
const uri = (p) => ({ fsPath: p, path: p, scheme: 'file', toString: () => p });
// What activate() touches, as plain properties (esbuild's interop copies the module's own properties).
const vscode = {
  EventEmitter,
  Disposable: class {
    static from() {
      return disposable;
    }
    constructor(f) {
      this.dispose = f;
    }
  },
  TreeItem: Value, ThemeIcon: Value, ThemeColor: Value, MarkdownString: Value, Diagnostic: Value, Range: Value, Position: Value, TabInputText: Value, TabInputTextDiff: Value,
  Uri: { file: uri, joinPath: (u, ...p) => uri(path.join(u.fsPath, ...p)), from: (c) => uri(c.path), parse: uri },
  workspace: new Proxy({ workspaceFolders: [], isTrusted: true, textDocuments: [], getConfiguration: () => ({ get: noop, inspect: noop }) }, { get: (t, k) => (k in t ? t[k] : any) }),
  commands: { registerCommand: () => disposable, executeCommand: () => Promise.resolve() },
  window: any, languages: any, env: any, extensions: any,
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  StatusBarAlignment: { Left: 1, Right: 2 }, TreeItemCollapsibleState: { None: 0 }, ProgressLocation: { Notification: 15 }, DiagnosticSeverity: { Error: 0 },
  FileType: { File: 1, Directory: 2 }, FileChangeType: { Changed: 1 }, FileSystemError: any,
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? vscode : load.call(this, request, ...rest);
};

const file = path.resolve(process.argv[2]);
const dir = path.dirname(file);
const t0 = performance.now();
const extension = require(file);
const t1 = performance.now();
const context = { subscriptions: [], secrets: any, globalState: any, workspaceState: any, extensionPath: path.dirname(dir), extensionUri: uri(path.dirname(dir)), extensionMode: 1 };
extension.activate(context);
const t2 = performance.now();
const loaded = Object.keys(require.cache).filter((f) => path.dirname(f) === dir).map((f) => path.basename(f));
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, activateMs: t2 - t1, loaded }) + '\n');
