// Figures per provider and per role: tokens, dollars ("unknown cost" when a call had no price, never
// $0.00), average response time, success rate, failures; and a bar chart of $ per provider (tokens
// when a cost is unknown).
import { knownCost as cost } from '../src/core/fold/money';
import { costText, promptTokens, tokensCounted } from '../src/core/fold/figures';
import type { ProviderFigures } from '../src/core/fold/state';
import { barChart, providerColour } from './chart';
import { h } from './dom';
import { duration, percent, tokens, usd } from './format';
import type { View } from './view';

/** One table of figures; per provider, each name has its chart colour's swatch (the chart's legend). */
function table(caption: string, head: string, rows: [string, ProviderFigures][], swatch: boolean): HTMLElement {
  return h(
    'table',
    { class: 'grid metrics' },
    h('caption', null, caption),
    h(
      'thead',
      null,
      h('tr', null, ...[head, 'Cost', 'Tokens in / out', 'Calls', 'Failed', 'Success', 'Avg response'].map((c) => h('th', { scope: 'col' }, c))),
    ),
    h(
      'tbody',
      null,
      ...rows.map(([name, f]) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, swatch ? h('span', { class: `swatch chart-${providerColour(name)}`, 'aria-hidden': 'true' }) : null, name),
          h('td', { class: `num ${cost(f) === null || f.planCalls ? 'unknown' : ''}` }, costText(f)),
          h(
            'td',
            {
              class: 'num',
              ...(tokensCounted(f)
                ? { title: "Counted by Ensemble with the model's own tokenizer (VS Code's models report no usage): counted, not billed." }
                : {}),
            },
            `${tokens(promptTokens(f))} / ${tokens(f.output)}${tokensCounted(f) ? ' counted' : ''}`,
          ),
          h('td', { class: 'num' }, f.calls),
          h('td', { class: `num ${f.failures ? 'warn' : ''}` }, f.failures),
          h('td', { class: 'num' }, percent(f.calls ? (f.calls - f.failures) / f.calls : null)),
          h('td', { class: 'num' }, f.latencyCount ? duration(f.latencyMsTotal / f.latencyCount) : '—'),
        ),
      ),
    ),
  );
}

export function metrics(v: View): (Node | null)[] {
  const providers = Object.entries(v.state.providers);
  if (!providers.length) return [h('p', { class: 'muted' }, 'No model call has been answered yet.')];
  // Calls paid by the user's plan have no dollar figure either: the chart shows tokens then.
  const anyUnknown = providers.some(([, f]) => cost(f) === null || f.planCalls > 0);
  const bars = providers
    .map(([id, f]) =>
      anyUnknown
        ? { label: id, value: promptTokens(f) + f.output, text: `${tokens(promptTokens(f) + f.output)} tokens` }
        : { label: id, value: f.costUsd, text: usd(f.costUsd) },
    )
    .map((b) => ({ ...b, colour: providerColour(b.label) }));
  return [
    h(
      'figure',
      { class: 'chart-figure' },
      barChart(bars, anyUnknown ? 'Tokens per provider' : 'Dollars per provider'),
      h(
        'figcaption',
        { class: 'muted' },
        anyUnknown
          ? `Tokens per provider (${providers.some(([, f]) => cost(f) === null) ? 'a cost is unknown: a model has no price' : 'calls through the VS Code model are paid by your plan'})`
          : 'Dollars per provider',
      ),
    ),
    table('Per provider', 'Provider', providers, true),
    table('Per role', 'Role', Object.entries(v.state.roles), false),
    // Requests per model: what a plan's request allowance (Copilot's premium requests) is spent on. Absent in a state folded by an older version.
    table('Per model', 'Model', Object.entries(v.state.models ?? {}), false),
  ];
}
