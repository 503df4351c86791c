// The event log: one JSON line per event, in order; a crash mid-write loses only the torn line.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventLog, parseEvents } from '../../src/core/store/log';
import { tempWorkspace } from '../helpers/tmp';

describe('event log', () => {
  it('appends one JSON line per event and reads them back in order', () => {
    const dir = tempWorkspace();
    const log = EventLog.open(dir);
    log.emit({ type: 'phase.started', phase: 'planning' });
    log.emit({ type: 'phase.ended', phase: 'planning', outcome: 'ok' });
    log.close();
    const lines = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(lines.map((l) => JSON.parse(l).seq), [1, 2]);
    assert.equal(JSON.parse(lines[0]!).v, 1);
  });

  it('tolerates a truncated last line (a crash mid-write) and cuts it off before appending', () => {
    const dir = tempWorkspace();
    const log = EventLog.open(dir);
    log.emit({ type: 'phase.started', phase: 'planning' });
    log.close();
    fs.appendFileSync(path.join(dir, 'events.jsonl'), '{"type":"phase.ended","pha');
    assert.equal(parseEvents(fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8')).skipped, 1);
    const again = EventLog.open(dir);
    assert.equal(again.existing.length, 1);
    again.emit({ type: 'phase.ended', phase: 'planning', outcome: 'ok' });
    again.close();
    const { events, skipped } = parseEvents(fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8'));
    assert.equal(skipped, 0);
    assert.deepEqual(events.map((e) => [e.type, e.seq]), [['phase.started', 1], ['phase.ended', 2]]);
  });
});
