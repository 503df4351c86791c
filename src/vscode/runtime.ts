// What a session needs, and only a session: the engine, the provider SDK adapters, the settings'
// validation (zod), the plan's checker, the demo's replay servers. scripts/build.mjs bundles this file
// apart, as dist/runtime.js, which `runtime()` (lazy.ts) requires the first time a command needs it
// (Start, Demo, Resume, Set API Key, a plan to edit…): loading the extension and activating it parse
// none of it. Only what the rest of src/vscode reaches through `runtime()` is exported here, and this
// module holds no state the extension's bundle also holds (src/vscode/output.ts and secrets.ts, whose
// state is the window's, stay out of it: build.mjs checks).
export { startSession, resumeSession } from '../core/session/session';
export { NodeCommandRunner } from '../node/command-runner';
export { nodeWorkspace } from '../node/workspace';
export { bundledRipgrep } from '../node/ripgrep';
export { loadCassette } from '../cassette/format';
export { demoCassettePath, startReplay } from '../cassette/replay';
export { defaultConfig, keyEnvVar, missingKeys } from '../core/config';
export { checkPlanText, planFileText } from '../core/session/planFile';
export { setUnexpectedErrorHandler } from '../core/emitter';
export { loadEngine, resolveMcp } from './engine';
export { McpConfigError } from '../core/mcp-config';
export { blockingUnavailable, missingKeyText, modelAccess, runPreflight } from './preflight';
export { chooseModels } from './chooseModels';
export { readSettings, SettingsError, showSettingsError } from './settings';
