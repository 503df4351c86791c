// A narrow side bar: below a width (a container query in media/panel.css) every table is drawn as
// stacked cards, one "label: value" line per cell. The labels are the tables' own column headers,
// copied onto their cells here, so the sections build plain tables and know nothing of the layout.

/** Gives every cell of every `table.grid` under `root` its column's header as `data-label`. */
export function labelCells(root: ParentNode): void {
  for (const table of root.querySelectorAll('table.grid')) {
    const heads = [...table.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').trim());
    for (const tr of table.querySelectorAll('tbody tr')) {
      [...tr.children].forEach((cell, i) => {
        const label = heads[i];
        if (label && cell.getAttribute('data-label') !== label) cell.setAttribute('data-label', label);
      });
    }
  }
}
