// Test only: a LanguageModelChatProvider (vscode.lm.registerLanguageModelChatProvider, VS Code 1.104+)
// whose models the extension-host suite scripts (test/vscode/suite/lm.test.ts): `setModels` says which
// models VS Code offers, `setHandler` answers each request (text and tool-call parts through `progress`,
// LanguageModelErrors thrown, the cancellation token honoured). Loaded next to Ensemble as a second
// extension under development by test/e2e/run-extension-tests.mjs; never packaged.
const vscode = require('vscode');

exports.activate = function activate(context) {
  const changed = new vscode.EventEmitter();
  let models = [];
  let handler;
  // `cancelledOnArrival`: requests whose token was already cancelled when they reached the provider.
  const counts = { info: 0, responses: 0, tokens: 0, cancelledOnArrival: 0 };
  context.subscriptions.push(
    changed,
    vscode.lm.registerLanguageModelChatProvider('ensemble-test', {
      onDidChangeLanguageModelChatInformation: changed.event,
      provideLanguageModelChatInformation() {
        counts.info++;
        return models;
      },
      async provideLanguageModelChatResponse(model, messages, options, progress, token) {
        counts.responses++;
        if (token.isCancellationRequested) {
          counts.cancelledOnArrival++;
          return;
        }
        if (!handler) throw new Error('ensemble-test-lm: no handler set');
        await handler({ model, messages, options, progress, token });
      },
      async provideTokenCount(_model, text) {
        counts.tokens++;
        const s = typeof text === 'string' ? text : text.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : JSON.stringify(p))).join('');
        return Math.ceil(s.length / 4);
      },
    }),
  );
  return {
    counts,
    /** The models VS Code offers from this vendor: LanguageModelChatInformation objects. */
    setModels(list) {
      models = list;
      changed.fire();
    },
    /** `({model, messages, options, progress, token}) => Promise<void>`: answers every request. */
    setHandler(fn) {
      handler = fn;
    },
  };
};

exports.deactivate = function deactivate() {};
