// The blob pack (src/core/store/blobs.ts): every content the review may need, appended once per
// content to `blobs.pack`, read back only when intact; what a killed run tore is cut off; sessions
// from before the pack are still read from `blobs/<sha>`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobStore, sha256 } from '../../src/core/store/blobs';

describe('blob pack', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-blobs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pack = () => path.join(dir, 'blobs.pack');

  it('stores each content once and reads back its exact bytes', () => {
    const blobs = new BlobStore(dir);
    const binary = Uint8Array.from([0, 255, 10, 98, 108, 111, 98, 32, 10]); // a newline and "blob " inside
    const a = blobs.put('first\n');
    const b = blobs.put(binary);
    assert.equal(a, sha256('first\n'));
    const size = fs.statSync(pack()).size;
    assert.equal(blobs.put('first\n'), a);
    assert.equal(new BlobStore(dir).put(binary), b, 'another store of the same session finds it too');
    assert.equal(fs.statSync(pack()).size, size, 'a content already there is not appended again');
    assert.equal(blobs.get(a)?.toString('utf8'), 'first\n');
    assert.deepEqual(new Uint8Array(new BlobStore(dir).get(b)!), binary);
    assert.equal(blobs.get(sha256('never stored')), undefined);
    assert.equal(blobs.get('../../etc/passwd'), undefined);
    assert.equal(blobs.put(''), sha256(''));
    assert.equal(new BlobStore(dir).get(sha256(''))?.length, 0);
  });

  it('sees what another run of the session appended since it last looked', () => {
    const mine = new BlobStore(dir);
    const theirs = new BlobStore(dir);
    mine.put('one');
    const two = theirs.put('two');
    assert.equal(mine.get(two)?.toString(), 'two');
    const size = fs.statSync(pack()).size;
    mine.put('two');
    assert.equal(fs.statSync(pack()).size, size);
  });

  it('cuts off a record a killed run tore, and keeps every whole one', () => {
    const first = new BlobStore(dir).put('kept');
    const whole = fs.statSync(pack()).size;
    const torn = sha256('torn content');
    fs.appendFileSync(pack(), `blob ${torn} 12\ntorn co`); // killed mid-write
    const blobs = new BlobStore(dir);
    assert.equal(blobs.get(first)?.toString(), 'kept');
    assert.equal(blobs.get(torn), undefined);
    const next = blobs.put('after the kill');
    assert.equal(fs.readFileSync(pack(), 'latin1').includes('torn co'), false, 'the torn record is gone');
    assert.equal(fs.statSync(pack()).size, whole + `blob ${next} 14\nafter the kill\n`.length);
    const again = new BlobStore(dir);
    assert.equal(again.get(next)?.toString(), 'after the kill');
    assert.equal(again.get(first)?.toString(), 'kept');
    assert.equal(again.put('torn content'), torn);
    assert.equal(again.get(torn)?.toString(), 'torn content', 'the torn content, stored again, is whole');
  });

  it('indexes a pack of many records, across its reading chunks and records larger than one', () => {
    const writer = new BlobStore(dir);
    const contents = Array.from({ length: 600 }, (_, i) => (i % 100 === 7 ? `big ${i} `.repeat(20_000) : `small ${i}\n`.repeat(1 + (i % 37))));
    const shas = contents.map((c) => writer.put(c));
    assert.ok(fs.statSync(pack()).size > 4 * 65_536, 'several chunks');
    const reader = new BlobStore(dir);
    assert.deepEqual(shas.map((sha) => reader.get(sha)?.toString()), contents);
    fs.appendFileSync(pack(), `blob ${'0'.repeat(64)} 999999\nshort`);
    const torn = new BlobStore(dir);
    assert.equal(torn.get(shas[599]!)?.toString(), contents[599]);
    assert.equal(torn.put('after'), writer.put('after'), 'the torn record is cut off, the new one readable by both');
    assert.equal(new BlobStore(dir).get(shas[0]!)?.toString(), contents[0]);
  });

  it('reads damaged bytes as missing, never as other content', () => {
    const sha = new BlobStore(dir).put('original');
    fs.writeFileSync(pack(), fs.readFileSync(pack(), 'latin1').replace('original', 'ORIGINAL'), 'latin1');
    assert.equal(new BlobStore(dir).get(sha), undefined);
  });

  it('reads a session written before the pack (a file per content in blobs/)', () => {
    fs.mkdirSync(path.join(dir, 'blobs'));
    fs.writeFileSync(path.join(dir, 'blobs', sha256('old style')), 'old style');
    fs.writeFileSync(path.join(dir, 'blobs', sha256('lied about')), 'other bytes');
    const blobs = new BlobStore(dir);
    assert.equal(blobs.get(sha256('old style'))?.toString(), 'old style');
    assert.equal(blobs.get(sha256('lied about')), undefined);
  });
});
