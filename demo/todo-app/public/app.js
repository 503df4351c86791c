// Talks to the todo API: GET/POST /api/todos, PATCH/DELETE /api/todos/:id.
const API = '/api/todos';
const list = document.getElementById('todos');
const form = document.getElementById('new-todo');
const input = document.getElementById('title');
const error = document.getElementById('error');
const count = document.getElementById('count');

async function request(url, options = {}) {
  const res = await fetch(url, { headers: { 'content-type': 'application/json' }, ...options });
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || res.statusText);
  return res.status === 204 ? null : res.json();
}

function showError(e) {
  error.textContent = e ? `Something went wrong: ${e.message}` : '';
  error.hidden = !e;
}

function render(todos) {
  list.replaceChildren(
    ...todos.map((todo) => {
      const li = document.createElement('li');
      li.className = todo.done ? 'done' : '';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = todo.done;
      box.setAttribute('aria-label', `Mark "${todo.title}" as done`);
      box.addEventListener('change', () => toggle(todo));
      const title = document.createElement('span');
      title.textContent = todo.title;
      const remove = document.createElement('button');
      remove.textContent = '✕';
      remove.setAttribute('aria-label', `Delete "${todo.title}"`);
      remove.addEventListener('click', () => removeTodo(todo));
      li.append(box, title, remove);
      return li;
    }),
  );
  const left = todos.filter((t) => !t.done).length;
  count.textContent = `${left} item${left === 1 ? '' : 's'} left`;
}

async function load() {
  try {
    render(await request(API));
    showError(null);
  } catch (e) {
    showError(e);
  }
}

async function toggle(todo) {
  await request(`${API}/${todo.id}`, { method: 'PATCH', body: JSON.stringify({ done: !todo.done }) }).catch(showError);
  load();
}

async function removeTodo(todo) {
  await request(`${API}/${todo.id}`, { method: 'DELETE' }).catch(showError);
  load();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const title = input.value.trim();
  if (!title) return;
  try {
    await request(API, { method: 'POST', body: JSON.stringify({ title }) });
    input.value = '';
  } catch (e) {
    showError(e);
  }
  load();
});

load();
