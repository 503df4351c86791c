// Run as a child process by the lock test: waits for the start signal (a file), races for the
// workspace lock, says on stdout whether it won (and whom it found holding it if not), and keeps a
// won lock a moment so that every other contender meets it.
import * as fs from 'node:fs';
import { acquireWorkspaceLock, WorkspaceBusyError } from '../../src/core/store/lock';

const [workspace, go, name] = process.argv.slice(2) as [string, string, string];
const wait = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
process.stdout.write('ready\n');
while (!fs.existsSync(go)) wait(1);
try {
  const lock = acquireWorkspaceLock(workspace, { sessionId: name, command: `contender ${name}` });
  process.stdout.write(JSON.stringify({ won: true, tookOver: lock.tookOver?.sessionId }) + '\n');
  setTimeout(() => lock.release(), 1500);
} catch (e) {
  process.stdout.write(JSON.stringify({ won: false, holder: e instanceof WorkspaceBusyError ? e.holder.sessionId : String(e) }) + '\n');
}
