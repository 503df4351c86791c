// Lint: typescript-eslint's recommended rules, promises that are never dropped, and the layering
// (src/core is the engine: no editor, no SDK, no Node adapter; the webview imports only pure folds).
import * as fs from 'node:fs';
import tseslint from 'typescript-eslint';

// Every provider SDK, from the one list of adapter kinds (src/providers/kinds.json), and the MCP SDK (src/node/mcp-client.ts), with their subpaths.
const KINDS = JSON.parse(fs.readFileSync(new URL('./src/providers/kinds.json', import.meta.url), 'utf8')).kinds;
const SDKS = [...new Set([...Object.values(KINDS).map((k) => k.sdk), '@modelcontextprotocol/sdk'])].flatMap((sdk) => [sdk, `${sdk}/*`]);

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'demo/**', 'test/e2e/**', 'test/vscode/**', '**/*.mjs', '**/*.js', '.vscode-test/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      'no-duplicate-case': 'error',
      'no-self-compare': 'error',
      'no-unreachable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/core is the engine: it never imports the editor.' }],
        patterns: [
          { group: SDKS, message: 'src/core never imports an SDK: providers meet the engine through the ChatProvider port, MCP servers through the McpClient port.' },
          { group: ['**/providers/**', '**/vscode/**', '**/node/**', '**/cli/**', '**/fakes/**', '**/cassette/**'], message: 'src/core does not import the layers above it.' },
        ],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./src/(?!protocol$|core/fold/|core/events$|core/ports$|core/best-of$)', message: 'The webview imports only the protocol, the pure folds and core/best-of (and their types).' }],
      }],
    },
  },
);
