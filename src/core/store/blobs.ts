// Content-addressed copies of file contents: what a file held before the session touched it, and what
// the session wrote. The review's diffs and reverts are served from here, so a revert restores the
// exact bytes.
//
// They are appended to one file per session, `.ensemble/sessions/<id>/blobs.pack`, a record per
// distinct content: `blob <sha256> <length>\n<bytes>\n`. Creating a file per content cost ~0.4 ms of
// kernel time each (most of the engine's CPU per event); an append costs ~15 µs. A record torn by a
// kill is cut off when the pack is next appended to, and every read checks the content against its
// sha, so a damaged record reads as missing (the review says so), never as wrong bytes. Sessions
// written before the pack kept a file per content in `blobs/<sha>`, which is still read.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { diskFullError, type DiskFullError } from './disk';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const HEADER = /^blob ([0-9a-f]{64}) (\d+)\n/;
const HEADER_MAX = 96; // "blob " + 64 + " " + up to 16 digits + "\n"
const SCAN_CHUNK = 1 << 16;

export class BlobStore {
  readonly pack: string;
  /** Where each content's bytes start in the pack, and how many there are. */
  private readonly index = new Map<string, { at: number; length: number }>();
  /** The pack's bytes indexed so far; past them, a torn record or what another process appended. */
  private indexed = 0;
  private made = false;

  /** `dir`: the session's folder; `onDiskFull` hears of a record the disk had no room for (`put` throws it too). */
  constructor(
    readonly dir: string,
    private readonly onDiskFull?: (e: DiskFullError) => void,
  ) {
    this.pack = path.join(dir, 'blobs.pack');
  }

  /** Stores `data` (once per content) and returns its sha256. */
  put(data: Uint8Array | string): string {
    const sha = sha256(data);
    if (this.index.has(sha)) return sha;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (!this.made) fs.mkdirSync(this.dir, { recursive: true });
    this.made = true;
    const fd = fs.openSync(this.pack, 'a+');
    try {
      const size = fs.fstatSync(fd).size;
      if (size > this.indexed) this.scan(fd, size);
      if (this.index.has(sha)) return sha; // appended by another run of this session
      // What is still past the index is a record a killed run left half-written: cut it off, or this
      // record would be unreachable behind it.
      if (size > this.indexed) fs.ftruncateSync(fd, this.indexed);
      const header = Buffer.from(`blob ${sha} ${bytes.length}\n`);
      // One write (a record is whole, or torn by a kill), continued if the system took only part of it.
      const record = Buffer.concat([header, bytes, NEWLINE]);
      try {
        for (let done = 0; done < record.length;) done += fs.writeSync(fd, record, done);
      } catch (e) {
        // A full disk: what fitted of the record is cut off (the next put would cut it anyway).
        try {
          fs.ftruncateSync(fd, this.indexed);
        } catch {
          // left for the next put
        }
        const full = diskFullError(e, this.dir, "a copy of a file's content (blobs.pack)");
        if (full) this.onDiskFull?.(full);
        throw full ?? e;
      }
      this.index.set(sha, { at: this.indexed + header.length, length: bytes.length });
      this.indexed += header.length + bytes.length + 1;
    } finally {
      fs.closeSync(fd);
    }
    return sha;
  }

  /** The bytes of content `sha`, or undefined when the session has no intact copy of it. */
  get(sha: string): Buffer | undefined {
    if (!/^[0-9a-f]{64}$/.test(sha)) return undefined;
    return this.fromPack(sha) ?? this.fromFile(sha);
  }

  private has(sha: string): boolean {
    if (this.index.has(sha)) return true;
    this.catchUp();
    return this.index.has(sha);
  }

  /** Indexes what was appended to the pack since it was last read (by a resumed run, or a review). */
  private catchUp(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.pack, 'r');
    } catch {
      return; // no pack yet
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size > this.indexed) this.scan(fd, size);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Indexes the records from `indexed` to `size`, reading the pack a chunk at a time (a record's bytes
   * beyond the chunk are skipped, not read); stops at a torn record.
   */
  private scan(fd: number, size: number): void {
    const chunk = Buffer.allocUnsafe(SCAN_CHUNK);
    let base = -1; // the chunk holds the pack's bytes [base, base + n)
    let n = 0;
    const byteAt = (at: number): number | undefined => {
      if (at >= base && at < base + n) return chunk[at - base];
      const one = Buffer.alloc(1);
      return fs.readSync(fd, one, 0, 1, at) === 1 ? one[0] : undefined;
    };
    while (this.indexed < size) {
      if (base < 0 || this.indexed < base || (this.indexed + HEADER_MAX > base + n && base + n < size)) {
        base = this.indexed;
        n = fs.readSync(fd, chunk, 0, SCAN_CHUNK, base);
      }
      const from = this.indexed - base;
      const m = HEADER.exec(chunk.toString('latin1', from, Math.min(n, from + HEADER_MAX)));
      if (!m) return;
      const at = this.indexed + m[0].length;
      const length = Number(m[2]);
      if (at + length + 1 > size || byteAt(at + length) !== NEWLINE[0]) return;
      if (!this.index.has(m[1]!)) this.index.set(m[1]!, { at, length });
      this.indexed = at + length + 1;
    }
  }

  private fromPack(sha: string): Buffer | undefined {
    if (!this.has(sha)) return undefined;
    const { at, length } = this.index.get(sha)!;
    try {
      const fd = fs.openSync(this.pack, 'r');
      try {
        const bytes = Buffer.alloc(length);
        const n = fs.readSync(fd, bytes, 0, length, at);
        return n === length && sha256(bytes) === sha ? bytes : undefined;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return undefined;
    }
  }

  /** A session written before the pack: a file per content in `blobs/`. */
  private fromFile(sha: string): Buffer | undefined {
    try {
      const bytes = fs.readFileSync(path.join(this.dir, 'blobs', sha));
      return sha256(bytes) === sha ? bytes : undefined;
    } catch {
      return undefined;
    }
  }
}

const NEWLINE = Buffer.from('\n');
