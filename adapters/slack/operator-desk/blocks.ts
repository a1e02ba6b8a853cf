/**
 * What operators see in Slack, as Block Kit: the escalation card (its state shown in place
 * as it changes), the transcript and relays in its thread, the App Home. Pure functions of
 * the desk's state, so a card re-rendered after a retry or a restart is the same card.
 *
 * @module
 */
import { escapeMrkdwn, mrkdwnLink } from '../render';

/** Slack's mrkdwn escaping, for the desk's other messages: one import of the Slack face. */
export { escapeMrkdwn };
import type { Message } from '../../../src/model';
import type { OperatorState, QueueEntry } from '../../../src/handoff';
import { formatWait } from '../../../src/desk/core';
import type { HandoffEnvelope } from '../../../src/desk/envelope';

// biome-ignore lint/suspicious/noExplicitAny: Block Kit JSON
export type Block = Record<string, any>;

export const ACTION = {
  claim: 'desk:claim',
  transfer: 'desk:transfer',
  resolve: 'desk:resolve',
  handBack: 'desk:handback',
  available: 'desk:available',
  away: 'desk:away',
} as const;

/** Slack's limits: 3000 characters per section text, 50 blocks per message. */
const SECTION_MAX = 2900;
const BLOCKS_MAX = 48;
const CARD_TRANSCRIPT_LINES = 6;

const PRIORITY_LABEL: Record<string, string> = {
  urgent: ':red_circle: Urgent',
  high: ':large_orange_circle: High',
  normal: ':white_circle: Normal',
  low: ':small_blue_diamond: Low',
};

const HEADER_EMOJI: Record<CardState['kind'], string> = {
  waiting: '🙋',
  claimed: '💬',
  transferred: '➡️',
  resolved: '✅',
  handed_back: '🤖',
  cancelled: '↩️',
};

/** Where the conversation stands, as the card shows it. */
export type CardState =
  | { kind: 'waiting'; entry: QueueEntry }
  | { kind: 'claimed'; entry: QueueEntry; operatorName: string }
  | { kind: 'transferred'; to: string }
  | { kind: 'resolved'; by: string | null }
  | { kind: 'handed_back'; by: string | null }
  | { kind: 'cancelled' };

export interface CardInput {
  envelope: HandoffEnvelope;
  state: CardState;
  teams: string[];
  /** The last messages (newest last). */
  recent: Message[];
  now: number;
}

/** `<!date^…>` renders in each reader's time zone, with a fallback for old clients. */
function slackDate(ms: number, format = '{time}'): string {
  const seconds = Math.floor(ms / 1000);
  return `<!date^${seconds}^${format}|${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC>`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function authorLabel(m: Message): string {
  if (m.author === 'customer') return '*Customer*';
  if (m.author === 'operator') return `*${escapeMrkdwn(m.authorName ?? 'Operator')}*`;
  if (m.author === 'system') return '_System_';
  return `_${escapeMrkdwn(m.authorName ?? 'Bot')}_`;
}

/** One transcript line: who, on which channel, what (media as links). */
export function transcriptLine(m: Message): string {
  const content = m.content;
  const body =
    content.type === 'media'
      ? `${content.caption ? `${escapeMrkdwn(content.caption)} ` : ''}${
          /^https?:\/\//.test(content.url)
            ? mrkdwnLink(content.url, `[${content.kind}] ${content.filename ?? 'file'}`)
            : // Stored on the platform (a Telegram file id…): Slack cannot open it.
              `_[${content.kind}${content.filename ? ` ${escapeMrkdwn(content.filename)}` : ''}: kept on ${m.channel}, not viewable from Slack]_`
        }`
      : content.type === 'location'
        ? mrkdwnLink(`https://maps.google.com/?q=${content.latitude},${content.longitude}`, m.text)
        : escapeMrkdwn(m.text);
  return `${authorLabel(m)} · ${m.channel}: ${clip(body, 2800)}`;
}

function stateLine(state: CardState, now: number): string {
  switch (state.kind) {
    case 'waiting': {
      const escalated = state.entry.escalatedFrom ? ` (moved here from *${state.entry.escalatedFrom}*)` : '';
      return `:hourglass_flowing_sand: *Waiting* for ${formatWait(now - state.entry.waitingSince)}${escalated}`;
    }
    case 'claimed':
      return `:raising_hand: *Claimed* by <@${state.entry.operatorId}> (${escapeMrkdwn(state.operatorName)}) — reply in this thread to answer the customer; start with \`note:\` for an internal note`;
    case 'transferred':
      return `:arrow_right: *Transferred* to *${state.to}*`;
    case 'resolved':
      return `:white_check_mark: *Resolved*${state.by ? ` by ${escapeMrkdwn(state.by)}` : ''}`;
    case 'handed_back':
      return `:robot_face: *Handed back to the bot*${state.by ? ` by ${escapeMrkdwn(state.by)}` : ''}`;
    case 'cancelled':
      return ':leftwards_arrow_with_hook: *The customer left the queue* — the bot has the conversation again';
  }
}

function summaryText(envelope: HandoffEnvelope): string {
  const lines: string[] = [];
  const { intents, slots, answered, knowledge } = envelope.summary;
  if (intents.length) lines.push(`*Intents:* ${intents.map((i) => `\`${i}\``).join(', ')}`);
  const filled = Object.entries(slots).filter(([, v]) => v !== undefined && v !== null && v !== '');
  if (filled.length)
    lines.push(
      `*Collected:* ${filled.map(([k, v]) => `${escapeMrkdwn(k)} = *${escapeMrkdwn(clip(typeof v === 'string' ? v : JSON.stringify(v), 80))}*`).join(' · ')}`,
    );
  if (envelope.flow?.flowId)
    lines.push(
      `*Flow:* \`${envelope.flow.flowId}\`${envelope.flow.step ? ` at step \`${envelope.flow.step}\`` : ''}`,
    );
  if (answered.length)
    lines.push(`*The bot already said:* ${answered.map((a) => `“${escapeMrkdwn(clip(a, 140))}”`).join(' ')}`);
  if (knowledge?.length)
    lines.push(
      `*Answered from documents:* ${knowledge.map((k) => `“${escapeMrkdwn(clip(k.question, 60))}” → ${k.sources.map((s) => (s.url ? `<${s.url}|${escapeMrkdwn(s.title)}>` : escapeMrkdwn(s.title))).join(', ')}`).join(' · ')}`,
    );
  const s = envelope.sentiment;
  if (s.label) {
    const face =
      s.label === 'negative'
        ? ':worried:'
        : s.label === 'positive'
          ? ':slightly_smiling_face:'
          : ':neutral_face:';
    lines.push(`*Sentiment:* ${face} ${s.label} (${s.trend.map((t) => t.toFixed(1)).join(' → ')})`);
  }
  return lines.join('\n') || '_No summary: the customer asked for a person straight away._';
}

function customerText(envelope: HandoffEnvelope): string {
  const c = envelope.customer;
  const who = [c.name, c.email, c.phone].filter(Boolean).map((v) => escapeMrkdwn(String(v)));
  const crm = c.crm
    ? Object.entries(c.crm)
        .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
        .slice(0, 6)
        .map(([k, v]) => `${escapeMrkdwn(k)}: *${escapeMrkdwn(String(v))}*`)
    : [];
  return [
    who.length ? who.join(' · ') : `_Unknown name_ (\`${c.id}\`)`,
    ...(crm.length ? [crm.join(' · ')] : []),
  ].join('\n');
}

function identitiesText(envelope: HandoffEnvelope): string {
  const ids = envelope.customer.identities.map(
    (i) =>
      `${i.channel} \`${escapeMrkdwn(clip(i.externalId, 40))}\`${i.linkedBy === 'first_contact' ? '' : ` (${i.linkedBy.replace('_', ' ')})`}`,
  );
  return ids.length ? `Reachable on: ${ids.join(' · ')}` : '';
}

/** The escalation card: summary, customer, channel, priority, wait, and the buttons its state allows. */
export function renderCard(input: CardInput): { text: string; blocks: Block[] } {
  const { envelope, state, now } = input;
  const open = state.kind === 'waiting' || state.kind === 'claimed';
  const team = state.kind === 'waiting' || state.kind === 'claimed' ? state.entry.team : envelope.team;
  const priority =
    state.kind === 'waiting' || state.kind === 'claimed' ? state.entry.priority : envelope.priority;
  const waitingSince =
    state.kind === 'waiting' || state.kind === 'claimed' ? state.entry.waitingSince : envelope.requestedAt;
  const blocks: Block[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: clip(`${HEADER_EMOJI[state.kind]} ${envelope.reason}`, 150),
        emoji: true,
      },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Customer*\n${clip(customerText(envelope), 1900)}` },
        {
          type: 'mrkdwn',
          text: `*Channel*\n${envelope.channel}${envelope.channels.length > 1 ? ` (also ${envelope.channels.filter((c) => c !== envelope.channel).join(', ')})` : ''}`,
        },
        { type: 'mrkdwn', text: `*Priority*\n${PRIORITY_LABEL[priority] ?? priority}` },
        { type: 'mrkdwn', text: `*Team*\n${team}` },
        {
          type: 'mrkdwn',
          text: `*Waiting since*\n${slackDate(waitingSince)} (${formatWait(now - waitingSince)})`,
        },
        { type: 'mrkdwn', text: `*Trigger*\n${envelope.source.replace(/_/g, ' ')}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: clip(summaryText(envelope), SECTION_MAX) } },
  ];
  const ids = identitiesText(envelope);
  if (ids) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(ids, SECTION_MAX) }] });
  if (input.recent.length) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*Last messages* (full transcript in the thread)\n${input.recent.slice(-CARD_TRANSCRIPT_LINES).map(transcriptLine).join('\n')}`,
          SECTION_MAX,
        ),
      },
    });
  }
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: stateLine(state, now) } });
  if (open) blocks.push(actionsBlock(envelope.conversationId, state.kind, team, input.teams));
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `\`${envelope.conversationId}\` · ${envelope.summary.messages} messages · \`/switchboard help\``,
      },
    ],
  });
  // The fallback text is what notifications show: as mrkdwn as the blocks, so escaped the same way.
  const text = clip(
    `${open ? 'Escalation' : 'Closed escalation'}: ${escapeMrkdwn(envelope.reason)} — ${escapeMrkdwn(envelope.customer.name ?? 'customer')} on ${envelope.channel}`,
    300,
  );
  return { text, blocks };
}

function actionsBlock(
  conversationId: string,
  state: 'waiting' | 'claimed',
  team: string,
  teams: string[],
): Block {
  const elements: Block[] = [];
  if (state === 'waiting')
    elements.push({
      type: 'button',
      action_id: ACTION.claim,
      text: { type: 'plain_text', text: 'Claim' },
      style: 'primary',
      value: conversationId,
    });
  const others = teams.filter((t) => t !== team);
  if (others.length)
    elements.push({
      type: 'static_select',
      action_id: ACTION.transfer,
      placeholder: { type: 'plain_text', text: 'Transfer to…' },
      options: others.map((t) => ({
        text: { type: 'plain_text', text: t },
        value: `${conversationId}|${t}`,
      })),
    });
  elements.push(
    {
      type: 'button',
      action_id: ACTION.resolve,
      text: { type: 'plain_text', text: 'Resolve' },
      value: conversationId,
      confirm: {
        title: { type: 'plain_text', text: 'Resolve this conversation?' },
        text: { type: 'mrkdwn', text: 'The bot takes over again and may ask the customer for a rating.' },
        confirm: { type: 'plain_text', text: 'Resolve' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    },
    {
      type: 'button',
      action_id: ACTION.handBack,
      text: { type: 'plain_text', text: 'Hand back to bot' },
      value: conversationId,
    },
  );
  return { type: 'actions', block_id: `desk:${conversationId}`, elements };
}

/** The transcript, chunked into sections within Slack's limits (oldest lines dropped first if too long). */
export function renderTranscript(messages: Message[]): { text: string; blocks: Block[] } {
  const lines = messages.filter((m) => m.text || m.content.type === 'media').map(transcriptLine);
  const chunks: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current && current.length + line.length + 1 > SECTION_MAX) {
      chunks.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : clip(line, SECTION_MAX);
  }
  if (current) chunks.push(current);
  const dropped = Math.max(0, chunks.length - (BLOCKS_MAX - 1));
  const kept = chunks.slice(dropped);
  const channels = [...new Set(messages.map((m) => m.channel))];
  const title = `*Transcript* — ${messages.length} messages on ${channels.join(' → ') || 'no channel'}${dropped ? ` (the oldest ${dropped} part(s) left out; search the conversation for them)` : ''}`;
  return {
    text: `Transcript (${messages.length} messages)`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: title } },
      ...kept.map((chunk) => ({ type: 'section', text: { type: 'mrkdwn', text: chunk } })),
    ],
  };
}

/** A customer's message relayed into the thread. */
export function renderRelay(message: Message): { text: string; blocks: Block[] } {
  const line = transcriptLine(message);
  return {
    text: clip(`${message.author === 'customer' ? 'Customer' : 'Bot'}: ${escapeMrkdwn(message.text)}`, 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(line, SECTION_MAX) } }],
  };
}

export interface HomeInput {
  operator: OperatorState | null;
  mine: { entry: QueueEntry; reason: string; customer: string; channel: string | null }[];
  waiting: { entry: QueueEntry; reason: string; customer: string; channel: string | null }[];
  now: number;
}

/** The App Home: the operator's availability, their chats, and the queue. */
export function renderHome(input: HomeInput): Block[] {
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: 'Switchboard desk' } }];
  const op = input.operator;
  if (!op) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: "You're not an operator yet: ask an admin to add your Slack user id to `handoff.yml` (`operators:`).",
      },
    });
  } else {
    blocks.push(
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*${escapeMrkdwn(op.name)}* — ${op.availability === 'available' ? ':large_green_circle: available' : ':white_circle: away'} · ${op.active}/${op.capacity} chats · teams: ${op.teams.join(', ')}`,
        },
      },
      {
        type: 'actions',
        elements: [
          op.availability === 'available'
            ? { type: 'button', action_id: ACTION.away, text: { type: 'plain_text', text: 'Set me away' } }
            : {
                type: 'button',
                action_id: ACTION.available,
                text: { type: 'plain_text', text: 'Go available' },
                style: 'primary',
              },
        ],
      },
    );
  }
  const row = (r: HomeInput['mine'][number], claim: boolean): Block => ({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: clip(
        `${PRIORITY_LABEL[r.entry.priority] ?? r.entry.priority} · *${escapeMrkdwn(clip(r.reason, 80))}* — ${escapeMrkdwn(r.customer)} · ${r.entry.team}${r.channel ? ` · <#${r.channel}>` : ''} · waiting ${formatWait(input.now - r.entry.waitingSince)}`,
        SECTION_MAX,
      ),
    },
    ...(claim && {
      accessory: {
        type: 'button',
        action_id: ACTION.claim,
        text: { type: 'plain_text', text: 'Claim' },
        value: r.entry.conversationId,
      },
    }),
  });
  blocks.push(
    { type: 'divider' },
    { type: 'section', text: { type: 'mrkdwn', text: `*Your chats* (${input.mine.length})` } },
  );
  if (!input.mine.length)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'None right now.' }] });
  for (const r of input.mine.slice(0, 15)) blocks.push(row(r, false));
  blocks.push(
    { type: 'divider' },
    { type: 'section', text: { type: 'mrkdwn', text: `*Waiting* (${input.waiting.length})` } },
  );
  if (!input.waiting.length)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Nobody is waiting. :tada:' }] });
  for (const r of input.waiting.slice(0, 20)) blocks.push(row(r, true));
  return blocks.slice(0, 100);
}
