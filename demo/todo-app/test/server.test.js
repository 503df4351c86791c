// API tests for the todo server: each test starts its own server on a free port.
const test = require('node:test');
const assert = require('node:assert/strict');
const { createApp } = require('../server');

async function withServer(fn) {
  const server = createApp();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await fn(base);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const json = (method, body) => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('starts with an empty list', () =>
  withServer(async (base) => {
    const res = await fetch(`${base}/api/todos`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), []);
  }));

test('creates a todo and lists it', () =>
  withServer(async (base) => {
    const created = await fetch(`${base}/api/todos`, json('POST', { title: ' Buy milk ' }));
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), { id: 1, title: 'Buy milk', done: false });
    assert.deepEqual(await (await fetch(`${base}/api/todos`)).json(), [{ id: 1, title: 'Buy milk', done: false }]);
  }));

test('rejects a todo without a title', () =>
  withServer(async (base) => {
    const res = await fetch(`${base}/api/todos`, json('POST', { title: '   ' }));
    assert.equal(res.status, 400);
  }));

test('rejects a title over 200 characters, when created or renamed', () =>
  withServer(async (base) => {
    const long = 'x'.repeat(201);
    assert.equal((await fetch(`${base}/api/todos`, json('POST', { title: long }))).status, 400);
    await fetch(`${base}/api/todos`, json('POST', { title: 'Short' }));
    assert.equal((await fetch(`${base}/api/todos/1`, json('PATCH', { title: long }))).status, 400);
    assert.equal((await (await fetch(`${base}/api/todos`)).json())[0].title, 'Short');
  }));

test('marks a todo done and renames it', () =>
  withServer(async (base) => {
    await fetch(`${base}/api/todos`, json('POST', { title: 'Write tests' }));
    const res = await fetch(`${base}/api/todos/1`, json('PATCH', { done: true, title: 'Write more tests' }));
    assert.deepEqual(await res.json(), { id: 1, title: 'Write more tests', done: true });
  }));

test('deletes a todo', () =>
  withServer(async (base) => {
    await fetch(`${base}/api/todos`, json('POST', { title: 'Temporary' }));
    assert.equal((await fetch(`${base}/api/todos/1`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(await (await fetch(`${base}/api/todos`)).json(), []);
  }));

test('answers 404 for a missing todo', () =>
  withServer(async (base) => {
    assert.equal((await fetch(`${base}/api/todos/99`, json('PATCH', { done: true }))).status, 404);
  }));

test('serves the front end', () =>
  withServer(async (base) => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<h1>Todos<\/h1>/);
  }));
