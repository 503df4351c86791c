import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tempWorkspace(prefix = 'ensemble-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
