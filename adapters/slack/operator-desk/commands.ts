/**
 * The `/switchboard` slash commands: `queue [team|all]`, `mine`, `available`, `away`,
 * `claim`, `transfer`, `resolve`, `handback`, `search`, `link`, `unlink` and `help`. Each
 * answers only the operator who typed it (ephemeral); the actions themselves are the
 * buttons' ({@link claim} and the others in `actions.ts`).
 *
 * @module
 */
import type { SlackDeskCommand } from '../desk';
import type { QueueEntry } from '../../../src/handoff';
import { compareEntries } from '../../../src/handoff/timing';
import { linkCustomers, unlinkCustomers } from '../../../src/identity';
import type { ConversationSearch } from '../../../src/store';
import { claim, type ResolveOptions, resolve, setAvailability, transfer } from '../../../src/desk/actions';
import { escapeMrkdwn } from '../render';
import { type DeskBot, type DeskCore, formatWait, notOperator } from '../../../src/desk/core';

/** A `/switchboard …` command: the ephemeral answer for the operator who typed it. */
export async function runCommand(desk: DeskCore, request: SlackDeskCommand) {
  const user = request.command.user_id;
  const [sub = 'help', ...args] = request.command.text.trim().split(/\s+/).filter(Boolean);
  const reply = (text: string) => ({ response_type: 'ephemeral', text });
  switch (sub.toLowerCase()) {
    case 'queue':
      return reply(await queueText(desk, user, args[0]));
    case 'mine':
      return reply(await mineText(desk, user));
    case 'available':
    case 'away':
      return reply((await setAvailability(desk, user, sub.toLowerCase() as 'available' | 'away')).message);
    case 'claim': {
      const id = await pick(desk, args[0], user, 'waiting', 'claim');
      return reply('error' in id ? id.error : (await claim(desk, id.conversationId, user)).message);
    }
    case 'transfer': {
      const [team, ref] = args;
      if (!team) return reply('Usage: `/switchboard transfer <team> [conversation]`');
      const id = await pick(desk, ref, user, 'claimed', `transfer ${team}`);
      return reply('error' in id ? id.error : (await transfer(desk, id.conversationId, team, user)).message);
    }
    case 'resolve':
    case 'handback': {
      const parsed = parseResolveArgs(args);
      if ('error' in parsed) return reply(parsed.error);
      const id = await pick(desk, parsed.ref, user, 'claimed', sub.toLowerCase());
      if ('error' in id) return reply(id.error);
      const result = await resolve(desk, id.conversationId, user, {
        outcome: sub.toLowerCase() === 'resolve' ? 'resolved' : 'handed_back',
        ...(parsed.resume && { resume: parsed.resume }),
      });
      return reply(result.message);
    }
    case 'search':
      return reply(await searchText(desk, user, args));
    case 'link':
    case 'unlink':
      return reply(await linkText(desk, user, sub.toLowerCase() as 'link' | 'unlink', args));
    case 'help':
      return reply(HELP);
    default:
      return reply(`There is no \`/switchboard ${sub}\`.\n${HELP}`);
  }
}

/** The conversation a command means: the one named, or the operator's only one. */
async function pick(
  desk: DeskCore,
  ref: string | undefined,
  operatorId: string,
  state: 'waiting' | 'claimed',
  command: string,
): Promise<{ conversationId: string } | { error: string }> {
  if (ref) {
    const id = ref.replace(/^`|`$/g, '');
    return (await desk.queue.get(id)) ? { conversationId: id } : { error: `\`${id}\` is not in the queue.` };
  }
  if (state === 'waiting') {
    const operator = await desk.queue.operator(operatorId);
    if (!operator) return { error: notOperator(operatorId) };
    for (const team of operator.teams) {
      const next = (await desk.queue.listWaiting(team, 1))[0];
      if (next) return { conversationId: next.conversationId };
    }
    return { error: 'Nobody is waiting in your teams.' };
  }
  const mine = await desk.queue.listClaimed(operatorId);
  if (mine.length === 1) return { conversationId: (mine[0] as QueueEntry).conversationId };
  return {
    error: mine.length
      ? `You hold ${mine.length} conversations; name one: ${mine.map((e) => `\`${e.conversationId}\``).join(', ')}`
      : `You don't hold any conversation. Name one: \`/switchboard ${command} <conversation id>\`.`,
  };
}

/** `/switchboard search <words> [channel:web] [outcome:resolved] [sentiment:negative]` */
async function searchText(desk: DeskCore, operatorId: string, args: string[]): Promise<string> {
  if (!(await desk.queue.operator(operatorId))) return notOperator(operatorId);
  const query: ConversationSearch = { limit: 10 };
  const words: string[] = [];
  for (const arg of args) {
    const [key, value] = arg.split(':', 2);
    if (value && key === 'channel') query.channel = value;
    else if (value && key === 'outcome') {
      if (!OUTCOMES.includes(value)) return `outcome: is one of ${OUTCOMES.join(', ')}.`;
      query.outcome = value as ConversationSearch['outcome'];
    } else if (value && key === 'sentiment') {
      if (!SENTIMENTS.includes(value)) return `sentiment: is one of ${SENTIMENTS.join(', ')}.`;
      query.sentiment = value as ConversationSearch['sentiment'];
    } else words.push(arg);
  }
  if (words.length) query.text = words.join(' ');
  if (!words.length && !query.channel && !query.outcome && !query.sentiment)
    return 'Usage: `/switchboard search <words> [channel:web] [outcome:resolved] [sentiment:negative]`';
  let hits: Awaited<ReturnType<DeskBot['searchConversations']>>;
  try {
    hits = await desk.bot.searchConversations(query);
  } catch (error) {
    return `Search failed: ${(error as Error).message}`;
  }
  if (!hits.length) return 'No conversation matches.';
  const lines = hits.map((hit) => {
    const match = hit.matches[0];
    const quote = match ? ` — “${escapeMrkdwn(clipText(match.text, 90))}” (${match.channel})` : '';
    const csat = hit.csat === null ? '' : ` · rated ${hit.csat}/5`;
    return `• \`${hit.id}\` ${hit.outcome}, ${hit.channels.join('+')}, ${hit.messageCount} messages, ${new Date(hit.lastMessageAt).toISOString().slice(0, 10)}${csat}${quote}`;
  });
  return `*${hits.length} conversation${hits.length === 1 ? '' : 's'}*\n${lines.join('\n')}`;
}

/**
 * `/switchboard link <from> <into>`: the operator vouches that two customers (or the
 * customers of two conversations) are one person; `unlink <link id>` undoes it.
 */
async function linkText(
  desk: DeskCore,
  operatorId: string,
  sub: 'link' | 'unlink',
  args: string[],
): Promise<string> {
  const operator = await desk.queue.operator(operatorId);
  if (!operator) return notOperator(operatorId);
  try {
    if (sub === 'unlink') {
      const [linkId] = args;
      if (!linkId) return 'Usage: `/switchboard unlink <link id>` (the id `/switchboard link` answered with)';
      await unlinkCustomers(desk.store, { linkId, byWhom: operatorId });
      return `Unlinked: \`${linkId}\` is undone; both customers have their own conversations and channels again.`;
    }
    const [a, b] = args;
    if (!a || !b)
      return 'Usage: `/switchboard link <conversation or customer> <conversation or customer>`: the first one joins the second.';
    const from = await customerOf(desk, a);
    const into = await customerOf(desk, b);
    if (!from || !into) return `No customer or conversation \`${from ? b : a}\`.`;
    const link = await linkCustomers(desk.store, { from, into, by: 'operator_merge', byWhom: operatorId });
    // The card shows every channel the customer can be reached on: it changed.
    const conversationId = link.conversationId;
    if (conversationId && (await desk.queue.get(conversationId))) {
      await desk.note(
        conversationId,
        `link:${link.id}`,
        `:link: <@${operatorId}> linked another customer record to this one: the card now lists every channel.`,
      );
      await desk.updateCard(conversationId, `link:${link.id}`);
    }
    return `Linked by ${operator.name}: one customer now, with one conversation. Undo with \`/switchboard unlink ${link.id}\`.`;
  } catch (error) {
    return `Not done: ${(error as Error).message}`;
  }
}

async function customerOf(desk: DeskCore, ref: string): Promise<string | null> {
  const id = ref.replace(/^`|`$/g, '');
  if (id.startsWith('cnv_')) return (await desk.store.conversations.get(id))?.customerId ?? null;
  return (await desk.store.customers.get(id))?.id ?? null;
}

/** `/switchboard queue [team|all]`: by default the teams of the operator asking. */
async function queueText(desk: DeskCore, operatorId: string, which?: string): Promise<string> {
  const config = desk.config;
  const operator = await desk.queue.operator(operatorId);
  let teams: string[];
  if (which && which !== 'all') {
    if (!config.teams[which])
      return `There is no team "${which}". Teams: ${Object.keys(config.teams).join(', ')}.`;
    teams = [which];
  } else {
    teams = which === 'all' || !operator ? Object.keys(config.teams) : operator.teams;
  }
  // Counted in full (up to a thousand a team), listed up to twenty.
  const all = (await Promise.all(teams.map((t) => desk.queue.listWaiting(t, 1000))))
    .flat()
    .sort(compareEntries);
  const waiting = all.slice(0, 20);
  const where = teams.length === Object.keys(config.teams).length ? '' : ` in ${teams.join(', ')}`;
  if (!waiting.length) return `Nobody is waiting${where}. :tada:`;
  const now = desk.clock();
  const places = await threadLinks(desk, waiting);
  const lines = waiting.map(
    (e, i) =>
      `${i + 1}. *${escapeMrkdwn(clipText(e.reason, 80))}* — ${e.team}, ${e.priority}, waiting ${formatWait(now - e.waitingSince)} · \`${e.conversationId}\`${places[i]}`,
  );
  const other = which === undefined && operator ? ' (`/switchboard queue all` for every team)' : '';
  const more = all.length > waiting.length ? `\n…and ${all.length - waiting.length} more.` : '';
  const count = teams.some((t) => all.filter((e) => e.team === t).length >= 1000)
    ? `${all.length}+`
    : `${all.length}`;
  return `*Waiting${where}* (${count})${other}:\n${lines.join('\n')}${more}\nClaim the next one with \`/switchboard claim\`, or one by id.`;
}

async function mineText(desk: DeskCore, operatorId: string): Promise<string> {
  const operator = await desk.queue.operator(operatorId);
  if (!operator) return notOperator(operatorId);
  const mine = await desk.queue.listClaimed(operatorId);
  const head = `You're ${operator.availability} with ${mine.length}/${operator.capacity} chats.`;
  if (!mine.length) return head;
  const now = desk.clock();
  const places = await threadLinks(desk, mine);
  return `${head}\n${mine.map((e, i) => `• *${escapeMrkdwn(clipText(e.reason, 80))}* — ${e.team}, claimed ${formatWait(now - (e.claimedAt ?? now))} ago · \`${e.conversationId}\`${places[i]}`).join('\n')}`;
}

/** ` in #channel` for each entry's current card (Slack renders the channel as a link). */
async function threadLinks(desk: DeskCore, entries: QueueEntry[]): Promise<string[]> {
  const threads = await Promise.all(entries.map((e) => desk.outbox.currentThread(e.conversationId)));
  return threads.map((t) => (t ? ` in <#${t.channel}>` : ''));
}

const OUTCOMES = ['bot', 'queued', 'assigned', 'resolved', 'handed_back', 'cancelled', 'closed'];
const SENTIMENTS = ['negative', 'neutral', 'positive'];

function clipText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const HELP = [
  '*Switchboard desk* — `/switchboard <command>`',
  '• `queue [team]` — who is waiting',
  '• `mine` — the conversations you hold',
  '• `available` / `away` — take new chats or not',
  '• `claim [conversation]` — take one (default: the next in your teams)',
  '• `transfer <team> [conversation]` — to another team',
  '• `resolve [conversation] [resume=<flow>.<step>] [slot=value …]` — done; the bot takes over (optionally at a flow step)',
  '• `handback [conversation] [resume=…]` — back to the bot without closing as resolved',
  '• `search <words> [channel:web] [outcome:resolved] [sentiment:negative]` — past conversations',
  '• `link <conversation|customer> <conversation|customer>` — the same person: merge them (`unlink <link id>` undoes it)',
  'In a card’s thread: your replies go to the customer; start with `note:` to keep one internal.',
].join('\n');

/** `resolve [ref] [resume=flow.step] [key=value …]` */
export function parseResolveArgs(
  args: string[],
): { ref?: string; resume?: NonNullable<ResolveOptions['resume']> } | { error: string } {
  let ref: string | undefined;
  let resume: NonNullable<ResolveOptions['resume']> | undefined;
  const values: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) {
      if (ref)
        return {
          error: `Unexpected "${arg}". Usage: \`/switchboard resolve [conversation] [resume=<flow>.<step>] [slot=value …]\``,
        };
      ref = arg;
      continue;
    }
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (key === 'resume') {
      const [flow = '', step] = value.split('.');
      if (!flow) return { error: 'resume= needs a flow: `resume=returns.ask_reason`' };
      resume = { flow, ...(step && { step }) };
    } else if (/^[a-z_][a-z0-9_]*$/i.test(key)) {
      values[key] = value;
    } else {
      return { error: `"${key}" is not a slot name.` };
    }
  }
  if (Object.keys(values).length && !resume) return { error: 'Slot values need resume=<flow>.<step>.' };
  if (resume && Object.keys(values).length) resume.values = values;
  return { ...(ref && { ref }), ...(resume && { resume }) };
}
