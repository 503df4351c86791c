// Runs the `ensemble` command line as a user does: a separate process (through tsx), real arguments,
// real exit codes, and no provider key or base URL from the environment unless given.

import * as path from 'node:path';
import { spawn } from 'node:child_process';

const cli = path.resolve(__dirname, '..', '..', 'src', 'cli.ts');
const KEYLESS_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/_API_KEY$|_BASE_URL$/.test(k)));

export function ensemble(args: string[], env: NodeJS.ProcessEnv = {}, onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { env: { ...KEYLESS_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
