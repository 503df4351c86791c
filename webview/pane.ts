// A collapsible section drawn like one of VS Code's view panes: a full-width header with a chevron
// codicon and the title in small capitals. The header is a real <button> inside the heading (the
// accordion pattern): Enter and Space toggle it, and it says whether it is expanded (aria-expanded)
// and what it controls (aria-controls).
import { icon } from './components';
import { h } from './dom';

export function pane(id: string, title: string, open = true): { section: HTMLElement; body: HTMLElement } {
  const body = h('div', { class: 'body', id: `${id}-body`, role: 'region', 'aria-labelledby': `${id}-title` });
  const chevron = icon(open ? 'chevron-down' : 'chevron-right', 'chevron');
  const toggle = h(
    'button',
    { class: 'pane-toggle', id: `${id}-title`, 'data-key': `pane:${id}`, 'aria-expanded': String(open), 'aria-controls': body.id },
    chevron,
    h('span', { class: 'pane-title' }, title),
  );
  const section = h('section', { class: `section section-${id}${open ? '' : ' collapsed'}` }, h('h2', { class: 'pane-header' }, toggle), body);
  const set = (expanded: boolean) => {
    toggle.setAttribute('aria-expanded', String(expanded));
    chevron.className = `codicon codicon-${expanded ? 'chevron-down' : 'chevron-right'} chevron`;
    section.classList.toggle('collapsed', !expanded);
    body.hidden = !expanded;
  };
  toggle.addEventListener('click', () => set(toggle.getAttribute('aria-expanded') !== 'true'));
  set(open);
  return { section, body };
}
