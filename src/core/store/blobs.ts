// Content-addressed copies of file contents (`.ensemble/sessions/<id>/blobs/<sha256>`): what a file
// held before the session touched it, and what the session wrote. The review's diffs and reverts are
// served from here, so a revert restores the exact bytes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export class BlobStore {
  constructor(readonly dir: string) {}

  put(data: Uint8Array | string): string {
    const sha = sha256(data);
    const file = path.join(this.dir, sha);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(this.dir, { recursive: true });
      const tmp = `${file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, file);
    }
    return sha;
  }

  get(sha: string): Buffer | undefined {
    if (!/^[0-9a-f]{64}$/.test(sha)) return undefined;
    try {
      return fs.readFileSync(path.join(this.dir, sha));
    } catch {
      return undefined;
    }
  }
}
