// The panel's long lists and tables, drawn in part and kept in step: rows are keyed (a batch redraws
// the rows it changed, moves only those out of place), and a list that grows without bound draws a
// window of it (PAGE rows at one end), with controls that show more and say how many are not shown.
import { textButton } from './components';
import { h } from './dom';
import type { Section, SectionId, View } from './view';

export const empty = (text: string) => h('p', { class: 'muted' }, text);

/**
 * Keyed rows in one parent: a row is redrawn only when what it shows changed (its signature), moved
 * only when it is out of place, and removed when it is no longer listed; so that a batch of events
 * redraws the one or two rows it touched, not every row of a long session.
 */
export class KeyedChildren<R> {
  private rows = new Map<unknown, { sig: unknown; el: HTMLElement }>();

  constructor(
    private readonly parent: HTMLElement,
    private readonly key: (r: R) => unknown,
  ) {}

  clear(): void {
    this.rows.clear();
    this.parent.replaceChildren();
  }

  /** Makes the parent's children the rows of `items`, in their order. */
  sync(items: readonly R[], sig: (r: R) => unknown, draw: (r: R) => HTMLElement): void {
    // Rows no longer listed go first, so that those that stay are found in place (a window's oldest
    // row leaving does not move every other row).
    const keys = new Set(items.map(this.key));
    for (const [key, row] of this.rows) {
      if (keys.has(key)) continue;
      row.el.remove();
      this.rows.delete(key);
    }
    let prev: HTMLElement | null = null;
    for (const r of items) {
      const key = this.key(r);
      const s = sig(r);
      let row = this.rows.get(key);
      if (!row || row.sig !== s) {
        const el = draw(r);
        if (row) row.el.replaceWith(el);
        row = { sig: s, el };
        this.rows.set(key, row);
      }
      if (row.el.parentNode !== this.parent || row.el.previousElementSibling !== prev) {
        if (prev) prev.after(row.el);
        else this.parent.prepend(row.el);
      }
      prev = row.el;
    }
  }
}

/** A table of keyed rows (see KeyedChildren). */
export class KeyedTable<R> implements Section {
  private readonly body = h('tbody');
  private readonly rows: KeyedChildren<R>;
  private readonly table: HTMLElement;
  private readonly placeholder: HTMLElement;

  constructor(
    readonly id: SectionId,
    private readonly root: HTMLElement,
    private readonly spec: KeyedRows<R>,
  ) {
    this.rows = new KeyedChildren(this.body, spec.key);
    this.placeholder = empty(spec.empty);
    // Columns of given widths (CSS classes: the CSP allows no inline style): a fixed layout whose cells cut what does not fit.
    const w = spec.widths;
    this.table = h(
      'table',
      { class: w ? 'grid fixed' : 'grid' },
      h('caption', { class: 'sr-only' }, spec.caption),
      h('thead', null, h('tr', null, ...spec.columns.map((c, i) => h('th', { scope: 'col', class: w?.[i] }, c)))),
      this.body,
    );
  }

  reset(): void {
    this.rows.clear();
  }

  render(v: View): void {
    const items = this.spec.items(v);
    this.rows.sync(
      items,
      (r) => this.spec.sig(r, v),
      (r) => this.spec.row(r, v),
    );
    // Either the table or the placeholder, as the section shows nothing else.
    const shown = items.length ? this.table : this.placeholder;
    if (this.root.firstChild !== shown || this.root.childNodes.length !== 1) this.root.replaceChildren(shown);
  }
}

/** How keyed rows are drawn: each one's key and signature (what it shows; a change redraws it), and its row. */
export interface Rows<R> {
  key(r: R): unknown;
  sig(r: R, v: View): unknown;
  row(r: R, v: View): HTMLElement;
}

/** What a KeyedTable shows: its caption and columns, and its rows. */
export interface KeyedRows<R> extends Rows<R> {
  caption: string;
  columns: string[];
  /** Width classes of the columns (`w-<percent>`, media/panel.css); none: the columns size to their content. */
  widths?: string[];
  items(v: View): R[];
  empty: string;
}

/** Rows drawn at first, and added per "Show more": a long session has thousands of decisions, incidents or transcript entries. */
export const PAGE = 50;

/** How a paged list draws its items. */
export interface PagedRows<R> extends Rows<R> {
  /** Which end is drawn: the newest (the list's end; earlier items are shown on demand) or its first items. */
  from: 'newest' | 'first';
}

/**
 * A long list drawn in part: a window of PAGE rows at one end, with "Show N more" and "Show all"
 * controls that say how many are not shown. Its rows are keyed (KeyedChildren): new items are added
 * and changed ones redrawn without touching the rest; in a window of the newest, a new item pushes the
 * oldest drawn one out, so the DOM stays bounded however long the session runs.
 */
export class Paged<R> {
  /** What goes into the section, in order: the controls sit where the hidden items would be. */
  readonly nodes: HTMLElement[];
  private readonly rows: KeyedChildren<R>;
  // Text nodes, not spans: the toolkit's button draws every slotted <span> as a 16 px icon.
  private readonly moreLabel = document.createTextNode('');
  private readonly allLabel = document.createTextNode('');
  private readonly more: HTMLElement;
  private readonly all: HTMLElement;
  private readonly controls: HTMLElement;
  private shown = PAGE;
  private last: { items: readonly R[]; v: View } | undefined;

  constructor(
    private readonly list: HTMLElement,
    private readonly spec: PagedRows<R>,
    key: string,
  ) {
    this.rows = new KeyedChildren(list, spec.key);
    const newest = spec.from === 'newest';
    this.more = textButton(this.moreLabel, newest ? 'chevron-up' : 'chevron-down', {
      appearance: 'secondary',
      'data-key': `${key}:more`,
      onClick: () => this.show(this.shown + PAGE, this.more),
    });
    this.all = textButton(this.allLabel, 'unfold', { appearance: 'secondary', 'data-key': `${key}:all`, onClick: () => this.show(Infinity, this.all) });
    this.controls = h('div', { class: 'list-more', hidden: true }, this.more, this.all);
    this.nodes = newest ? [this.controls, list] : [list, this.controls];
  }

  reset(): void {
    this.rows.clear();
    this.shown = PAGE;
    this.last = undefined;
    this.controls.hidden = true;
  }

  private show(n: number, control: HTMLElement): void {
    this.shown = n;
    if (this.last) this.render(this.last.items, this.last.v);
    // The control is gone once everything is shown: keyboard focus goes to the list, not to the page's start.
    if (control.hidden && this.list.ownerDocument.activeElement === control) {
      this.list.tabIndex = -1;
      this.list.focus();
    }
  }

  render(items: readonly R[], v: View): void {
    this.last = { items, v };
    const n = Math.min(this.shown, items.length);
    const newest = this.spec.from === 'newest';
    this.rows.sync(
      n === items.length ? items : newest ? items.slice(items.length - n) : items.slice(0, n),
      (r) => this.spec.sig(r, v),
      (r) => this.spec.row(r, v),
    );
    const rest = items.length - n;
    this.controls.hidden = this.more.hidden = rest <= 0;
    this.all.hidden = rest <= PAGE;
    if (rest > 0) this.moreLabel.data = `Show ${Math.min(PAGE, rest)} ${newest ? 'earlier' : 'more'} (${count(rest)} not shown)`;
    if (rest > PAGE) this.allLabel.data = `Show all (${count(items.length)})`;
  }
}

const count = (n: number) => n.toLocaleString('en');

/** A paged list and what it is when there is nothing to list. */
export interface PagedList<R> extends PagedRows<R> {
  items(v: View): readonly R[];
  list: () => HTMLElement;
  empty: string;
}

/** A section that is one paged list. */
export class PagedSection<R> implements Section {
  private readonly paged: Paged<R>;
  private readonly placeholder: HTMLElement;

  constructor(
    readonly id: SectionId,
    root: HTMLElement,
    private readonly spec: PagedList<R>,
  ) {
    this.paged = new Paged(spec.list(), spec, id);
    this.placeholder = empty(spec.empty);
    root.append(this.placeholder, ...this.paged.nodes);
  }

  reset(): void {
    this.paged.reset();
  }

  render(v: View): void {
    const items = this.spec.items(v);
    this.paged.render(items, v);
    this.placeholder.hidden = items.length > 0;
  }
}
