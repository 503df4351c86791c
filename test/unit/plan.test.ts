// Plan validation: what the orchestrator submits is checked, and every problem is named.

import * as assert from 'node:assert/strict';
import { criticalPath, validatePlan } from '../../src/core/session/plan';

describe('plan validation', () => {
  it('accepts a valid plan and measures its critical path', () => {
    const r = validatePlan({ rationale: 'r', tasks: [{ id: 'a', title: 'A', description: 'd', role: 'x', dependsOn: [] }, { id: 'b', title: 'B', description: 'd', role: 'x', dependsOn: ['a'] }] }, ['x']);
    assert.equal(r.ok, true);
    assert.equal(criticalPath(r.ok ? r.tasks : []), 2);
  });

  it('names every problem: empty, duplicates, unknown roles and dependencies, cycles, bad shape', () => {
    const bad = validatePlan({ rationale: 'r', tasks: [{ id: 'a', title: 'A', description: 'd', role: 'x', dependsOn: ['zz'] }, { id: 'a', title: 'A', description: 'd', role: 'y', dependsOn: [] }] }, ['x']);
    assert.equal(bad.ok, false);
    const text = bad.ok ? '' : bad.errors.join('\n');
    assert.match(text, /"a" is used more than once/);
    assert.match(text, /role "y"/);
    assert.match(text, /depends on "zz"/);
    const empty = validatePlan({ rationale: 'r', tasks: [] }, ['x']);
    assert.match(empty.ok ? '' : empty.errors[0]!, /no tasks/);
    const shape = validatePlan({ tasks: 'nope' }, ['x']);
    assert.match(shape.ok ? '' : shape.errors[0]!, /Invalid arguments for submit_plan/);
  });
});
