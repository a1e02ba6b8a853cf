/**
 * The console's analytics page, in the browser: filters, headline tiles and Chart.js charts
 * from `/console/api/analytics`, and a CSV export of what is shown. Bundled by esbuild
 * (src/console/assets.ts); not type-checked with the server (no DOM types there).
 */
import { Chart, registerables } from 'chart.js';

Chart.register(...registerables);

interface Percentiles {
  p50: number | null;
  p90: number | null;
  count: number;
}
interface Analytics {
  from: string;
  to: string;
  conversations: number;
  automationRate: number | null;
  handoffRate: number | null;
  outOfScopeRate: number | null;
  handoffReasons: { reason: string; count: number }[];
  firstHumanReplySeconds: Percentiles;
  resolutionSeconds: Percentiles;
  csat: { average: number | null; count: number };
  byChannel: { channel: string; conversations: number; messages: number }[];
  byHour: { hour: string; conversations: number; messages: number; sentiment: number | null }[];
  topIntents: { intent: string; count: number }[];
  byTeam: { team: string; handoffs: number; resolved: number; firstHumanReplySeconds: Percentiles }[];
  byOperator: {
    operatorId: string;
    operatorName: string | null;
    claimed: number;
    resolved: number;
    csat: { average: number | null };
  }[];
}

const charts: Record<string, Chart> = {};
// For the browser tests and for anyone poking at the page: the charts and their data.
(window as unknown as { __charts: typeof charts }).__charts = charts;

const app = document.getElementById('app') as HTMLElement;
const percent = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const minutes = (s: number | null) =>
  s === null ? '—' : s < 120 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`;
const day = (d: Date) => d.toISOString().slice(0, 10);
const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(): void {
  const params = new URLSearchParams(location.search);
  const to = params.get('to') ?? day(new Date());
  const from = params.get('from') ?? day(new Date(Date.now() - 6 * 86_400_000));
  app.innerHTML = `
  <form class="filters" id="filters">
    <label>From<input type="date" name="from" value="${escapeHtml(from)}"></label>
    <label>To<input type="date" name="to" value="${escapeHtml(to)}"></label>
    <label>Channel<select name="channel"><option value="">All channels</option>
      ${['web', 'whatsapp', 'telegram', 'messenger', 'slack', 'botframework', 'directline']
        .map((c) => `<option ${params.get('channel') === c ? 'selected' : ''}>${c}</option>`)
        .join('')}</select></label>
    <button type="submit">Apply</button>
    <button type="button" id="csv">Export CSV</button>
  </form>
  <section class="tiles" id="tiles"></section>
  <section class="charts">
    <div class="chart"><h3>Volume per hour</h3><div class="box"><canvas id="chart-volume"></canvas></div></div>
    <div class="chart"><h3>Sentiment trend</h3><div class="box"><canvas id="chart-sentiment"></canvas></div></div>
    <div class="chart"><h3>Conversations per channel</h3><div class="box"><canvas id="chart-channels"></canvas></div></div>
    <div class="chart"><h3>Top intents</h3><div class="box"><canvas id="chart-intents"></canvas></div></div>
    <div class="chart"><h3>Handoff reasons</h3><div class="box"><canvas id="chart-reasons"></canvas></div></div>
    <div class="chart"><h3>Messages by hour of day (UTC)</h3><div class="box"><canvas id="chart-hours"></canvas></div></div>
  </section>
  <table id="teams"></table><table id="operators"></table>`;
  (document.getElementById('filters') as HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const next = new URLSearchParams();
    for (const key of ['from', 'to', 'channel']) {
      const value = String(data.get(key) ?? '');
      if (value) next.set(key, value);
    }
    history.replaceState(null, '', `?${next}`);
    void load();
  });
  (document.getElementById('csv') as HTMLButtonElement).addEventListener('click', () => exportCsv());
}

let current: Analytics | undefined;

async function load(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!params.has('from')) params.set('from', day(new Date(Date.now() - 6 * 86_400_000)));
  if (!params.has('to')) params.set('to', day(new Date()));
  const res = await fetch(`/console/api/analytics?${params}`, { credentials: 'same-origin' });
  if (res.status === 401) {
    location.href = '/console';
    return;
  }
  const body = await res.json();
  if (!res.ok) {
    (document.getElementById('tiles') as HTMLElement).innerHTML =
      `<p class="error">${escapeHtml(body.error?.message ?? 'failed')}</p>`;
    return;
  }
  current = body as Analytics;
  render(current);
}

function tile(label: string, value: string, note = ''): string {
  return `<div class="tile" data-figure="${escapeHtml(label)}"><small>${escapeHtml(label)}</small><div>${escapeHtml(value)}</div><small>${escapeHtml(note)}</small></div>`;
}

function chart(id: string, config: ConstructorParameters<typeof Chart>[1]): void {
  charts[id]?.destroy();
  const canvas = document.getElementById(`chart-${id}`) as HTMLCanvasElement;
  charts[id] = new Chart(canvas, {
    ...config,
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options },
  });
}

function render(a: Analytics): void {
  (document.getElementById('tiles') as HTMLElement).innerHTML = [
    tile('Conversations', String(a.conversations)),
    tile('Automation rate', percent(a.automationRate), 'closed without a person'),
    tile('Handoff rate', percent(a.handoffRate)),
    tile('Out-of-scope rate', percent(a.outOfScopeRate)),
    tile(
      'First human reply',
      minutes(a.firstHumanReplySeconds.p50),
      `p90 ${minutes(a.firstHumanReplySeconds.p90)}`,
    ),
    tile('Resolution time', minutes(a.resolutionSeconds.p50), `p90 ${minutes(a.resolutionSeconds.p90)}`),
    tile('CSAT', a.csat.average === null ? '—' : a.csat.average.toFixed(2), `${a.csat.count} ratings`),
  ].join('');
  const hours = a.byHour.map((h) => h.hour.slice(5, 13).replace('T', ' '));
  chart('volume', {
    type: 'line',
    data: {
      labels: hours,
      datasets: [
        {
          label: 'Customer messages',
          data: a.byHour.map((h) => h.messages),
          borderColor: '#3867d6',
          pointRadius: 0,
        },
        {
          label: 'New conversations',
          data: a.byHour.map((h) => h.conversations),
          borderColor: '#20bf6b',
          pointRadius: 0,
        },
      ],
    },
  });
  chart('sentiment', {
    type: 'line',
    data: {
      labels: hours,
      datasets: [
        {
          label: 'Mean sentiment (−1…1)',
          data: a.byHour.map((h) => h.sentiment),
          borderColor: '#fa8231',
          pointRadius: 0,
          spanGaps: true,
        },
      ],
    },
    options: { scales: { y: { min: -1, max: 1 } } },
  });
  chart('channels', {
    type: 'bar',
    data: {
      labels: a.byChannel.map((c) => c.channel),
      datasets: [
        { label: 'Conversations', data: a.byChannel.map((c) => c.conversations), backgroundColor: '#3867d6' },
        { label: 'Customer messages', data: a.byChannel.map((c) => c.messages), backgroundColor: '#a5b1c2' },
      ],
    },
  });
  chart('intents', {
    type: 'bar',
    data: {
      labels: a.topIntents.map((i) => i.intent),
      datasets: [{ label: 'Messages', data: a.topIntents.map((i) => i.count), backgroundColor: '#8854d0' }],
    },
    options: { indexAxis: 'y' },
  });
  chart('reasons', {
    type: 'doughnut',
    data: {
      labels: a.handoffReasons.map((r) => r.reason || '(none)'),
      datasets: [
        {
          data: a.handoffReasons.map((r) => r.count),
          backgroundColor: ['#eb3b5a', '#fa8231', '#f7b731', '#20bf6b', '#3867d6', '#8854d0'],
        },
      ],
    },
  });
  const byHourOfDay = new Array(24).fill(0) as number[];
  for (const h of a.byHour) byHourOfDay[new Date(h.hour).getUTCHours()] += h.messages;
  chart('hours', {
    type: 'bar',
    data: {
      labels: byHourOfDay.map((_, i) => `${i}h`),
      datasets: [{ label: 'Customer messages', data: byHourOfDay, backgroundColor: '#45aaf2' }],
    },
  });
  (document.getElementById('teams') as HTMLElement).innerHTML =
    `<tr><th>Team</th><th>Handoffs</th><th>Resolved</th><th>First reply p50</th></tr>` +
    a.byTeam
      .map(
        (t) =>
          `<tr><td>${escapeHtml(t.team || '(none)')}</td><td>${t.handoffs}</td><td>${t.resolved}</td><td>${minutes(t.firstHumanReplySeconds.p50)}</td></tr>`,
      )
      .join('');
  (document.getElementById('operators') as HTMLElement).innerHTML =
    `<tr><th>Operator</th><th>Claimed</th><th>Resolved</th><th>CSAT</th></tr>` +
    a.byOperator
      .map(
        (o) =>
          `<tr><td>${escapeHtml(o.operatorName ?? o.operatorId)}</td><td>${o.claimed}</td><td>${o.resolved}</td><td>${o.csat.average ?? '—'}</td></tr>`,
      )
      .join('');
}

/** The shown figures per hour and per channel, as CSV. */
function exportCsv(): void {
  if (!current) return;
  const rows = [
    ['hour', 'conversations', 'customer_messages', 'mean_sentiment'],
    ...current.byHour.map((h) => [h.hour, h.conversations, h.messages, h.sentiment ?? '']),
    [],
    ['channel', 'conversations', 'customer_messages'],
    ...current.byChannel.map((c) => [c.channel, c.conversations, c.messages]),
  ];
  const csv = rows.map((r) => r.map((v) => `"${String(v).replace(/"/g, '""')}"`).join(',')).join('\n');
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  link.download = `switchboard-analytics-${current.from.slice(0, 10)}-${current.to.slice(0, 10)}.csv`;
  link.click();
}

layout();
void load();
