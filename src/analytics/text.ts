/**
 * The analytics as text for a terminal (`switchboard report`).
 *
 * @module
 */
import type { Analytics, Percentiles } from './types';

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

/** 75 → "1m 15s", 7260 → "2h 1m". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

const spread = (p: Percentiles, noun: string) =>
  p.count === 0 ? '—' : `p50 ${duration(p.p50)} · p90 ${duration(p.p90)} (${p.count} ${noun})`;

/** The headline numbers, one per line, then the breakdowns. */
export function formatReport(a: Analytics): string {
  const day = (iso: string) => iso.replace('T', ' ').slice(0, 16);
  const filters = [a.channel && `channel ${a.channel}`, a.team && `team ${a.team}`].filter(Boolean);
  const rows: [string, string][] = [
    ['Conversations', String(a.conversations)],
    ['Automation rate', percent(a.automationRate)],
    ['Handoff rate', percent(a.handoffRate)],
    ['Out-of-scope rate', percent(a.outOfScopeRate)],
    ['First human reply', spread(a.firstHumanReplySeconds, 'replies')],
    ['Resolution time', spread(a.resolutionSeconds, 'handoffs')],
    ['CSAT', a.csat.average === null ? '—' : `${a.csat.average.toFixed(2)} / 5 (${a.csat.count} ratings)`],
    ['Top intents', a.topIntents.map((i) => `${i.intent} ${i.count}`).join(', ') || '—'],
    ['Handoff reasons', a.handoffReasons.map((r) => `${r.reason || '(none)'} ${r.count}`).join(', ') || '—'],
    [
      'By channel',
      a.byChannel.map((c) => `${c.channel} ${c.conversations} (${c.messages} msgs)`).join(', ') || '—',
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [
    `Switchboard report, ${day(a.from)} → ${day(a.to)} UTC${filters.length ? ` (${filters.join(', ')})` : ''}`,
    '',
    ...rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`),
  ];
  if (a.byTeam.length) {
    lines.push('', 'By team');
    for (const t of a.byTeam)
      lines.push(
        `  ${t.team || '(none)'}: ${t.handoffs} handoffs, ${t.resolved} resolved, ${t.handedBack} handed back, ${t.cancelled} cancelled; first reply ${spread(t.firstHumanReplySeconds, 'replies')}`,
      );
  }
  if (a.byOperator.length) {
    lines.push('', 'By operator');
    for (const o of a.byOperator)
      lines.push(
        `  ${o.operatorName ?? o.operatorId}: ${o.claimed} claimed, ${o.resolved} resolved, ${o.handedBack} handed back; CSAT ${o.csat.average === null ? '—' : `${o.csat.average.toFixed(2)} (${o.csat.count})`}`,
      );
  }
  return lines.join('\n');
}
