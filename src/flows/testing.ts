/**
 * Conversation tests: `test/conversations/*.yml` files of `user:` / `bot:` turns, run against the real bot
 * (inbox → worker → NLU → flows → store) in-process, with a throwaway store. Bot lines match
 * loosely (a case-insensitive substring, or `/regex/`); turns can check the intent, slots,
 * flow, status and handoff; `press:` presses a button of the bot's last message (or, failing
 * that, a stale one still on screen from an earlier message, most recent first, as a widget
 * keeps old buttons clickable); `channel:` simulates a channel's limits (e.g. WhatsApp shows at
 * most 3 buttons: more become a numbered menu). A failure prints the transcript with the
 * expected line (-) next to what the bot said (+).
 *
 * ```yaml
 * tests:
 *   order status:
 *     - user: where is my order?
 *       intent: order_status
 *     - bot: What's your order number?
 *     - user: ORD-10001
 *       slots: { order_id: ORD-10001 }
 *     - bot: /on its way/
 * ```
 *
 * @module
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { createSwitchboard, type SwitchboardBot } from '../app';
import { capabilitiesByChannel, type ChannelDefinition } from '../core/channel';
import { loadConfig } from '../config';
import { SourceFileError, type SourceProblem } from '../errors';
import { loadHandoffConfig } from '../handoff/config';
import { type HumanAvailability, setHumanAvailability } from '../handoff/availability';
import type { Content, Conversation, Message } from '../model';

/** What a channel can show, as `channel:` in a test simulates it. */
export interface ChannelLimitsSeen {
  buttons: number;
  text: number;
}

/** What each channel can show, read from the plug-ins' capabilities (never copied). */
export function channelLimits(channels: readonly ChannelDefinition[]): Record<string, ChannelLimitsSeen> {
  return Object.fromEntries(
    Object.entries(capabilitiesByChannel(channels)).map(([name, c]) => [
      name,
      { buttons: c.limits?.buttons ?? c.maxButtons, text: c.limits?.text ?? c.maxTextLength },
    ]),
  );
}

/** When the web chat is not among the plug-ins given: a button row, text of any length. */
const WEB_LIMITS: ChannelLimitsSeen = { buttons: Number.POSITIVE_INFINITY, text: Number.POSITIVE_INFINITY };

type Expect = string | RegExp;

interface Turn {
  line: number;
  user?: string;
  press?: string;
  bot?: Expect;
  buttons?: string[];
  intent?: string | null;
  slots?: Record<string, unknown>;
  flow?: string | null;
  step?: string;
  status?: string;
  handoff?: Record<string, unknown>;
}

export interface ConversationTest {
  file: string;
  name: string;
  line: number;
  channel: string;
  /** What the channel can show (its plug-in's capabilities). */
  limits: ChannelLimitsSeen;
  /**
   * Whether a person can take a handoff (`humans: unavailable` in the test): by default the
   * bot is tested as deployed with a staffed desk; `unavailable` tests the bot on its own.
   */
  humans: 'available' | 'unavailable';
  /**
   * `awaits: <what>`: the test describes the wanted behaviour and is known to fail until
   * `<what>` lands (e.g. the NLU's out-of-scope detection). Its failure does not fail the run;
   * once it passes, the runner says the marker can go.
   */
  awaits?: string;
  turns: Turn[];
}

export interface TestResult {
  test: ConversationTest;
  passed: boolean;
  /** The conversation as it went, with `-` expected / `+` actual lines at the failure. */
  transcript: string[];
  failure?: string;
}

const TURN_KEYS = new Set([
  'user',
  'press',
  'bot',
  'buttons',
  'intent',
  'slots',
  'flow',
  'step',
  'status',
  'handoff',
]);

function parseExpect(value: unknown): Expect {
  const s = String(value);
  const m = /^\/(.+)\/([a-z]*)$/s.exec(s);
  if (m) return new RegExp(m[1] as string, m[2]?.includes('i') ? m[2] : `${m[2] ?? ''}i`);
  return s;
}

/** Reads `tests/*.yml` (or the given files). @throws SourceFileError on malformed files. */
export function loadConversationTests(
  files: string[],
  channels: readonly ChannelDefinition[],
): ConversationTest[] {
  const known = channelLimits(channels);
  const problems: SourceProblem[] = [];
  const tests: ConversationTest[] = [];
  for (const file of files) {
    const lines = new LineCounter();
    const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, uniqueKeys: true });
    const at = (offset: number | undefined, message: string, hint?: string) => {
      const pos = lines.linePos(offset ?? 0);
      problems.push({ file, line: pos.line, column: pos.col, message, ...(hint ? { hint } : {}) });
    };
    if (doc.errors.length) {
      for (const e of doc.errors) at(e.pos[0], `invalid YAML: ${e.message.split('\n')[0]}`);
      continue;
    }
    const root = doc.contents;
    const testsNode = isMap(root) ? root.get('tests', true) : undefined;
    if (!isMap(testsNode)) {
      at(
        0,
        'a test file needs `tests:`, a mapping of test name → turns',
        'see docs/authoring.md#conversation-tests',
      );
      continue;
    }
    const awaitsOf = new Map<string, string>();
    for (const pair of testsNode.items) {
      const name = String((pair.key as { value?: unknown })?.value ?? pair.key);
      const keyOffset = (pair.key as { range?: number[] })?.range?.[0];
      let channel = 'web';
      let humans: ConversationTest['humans'] = 'available';
      let turnsNode: unknown = pair.value;
      if (isMap(pair.value)) {
        channel = String(pair.value.get('channel') ?? 'web');
        turnsNode = pair.value.get('turns', true);
        if (!known[channel]) {
          at(keyOffset, `unknown channel '${channel}'`, `known: ${Object.keys(known).join(', ')}`);
        }
        const awaits = pair.value.get('awaits');
        if (awaits !== undefined) awaitsOf.set(name, String(awaits));
        const declared = String(pair.value.get('humans') ?? 'available');
        if (declared === 'available' || declared === 'unavailable') humans = declared;
        else
          at(keyOffset, `humans: '${declared}' is not known`, 'use `available` (default) or `unavailable`');
      }
      if (!isSeq(turnsNode)) {
        at(keyOffset, `test '${name}' needs a list of turns`, 'e.g. `- user: hi` then `- bot: Hello`');
        continue;
      }
      const turns: Turn[] = [];
      for (const item of turnsNode.items) {
        const offset = (item as { range?: number[] })?.range?.[0];
        const line = lines.linePos(offset ?? 0).line;
        const raw = (isMap(item) ? item.toJSON() : null) as Record<string, unknown> | null;
        if (!raw) {
          at(offset, 'each turn is a mapping like `user: …` or `bot: …`');
          continue;
        }
        const unknown = Object.keys(raw).find((k) => !TURN_KEYS.has(k));
        if (unknown) {
          at(offset, `unknown key '${unknown}' in a turn`, `allowed: ${[...TURN_KEYS].join(', ')}`);
          continue;
        }
        const kinds = ['user', 'press', 'bot'].filter((k) => raw[k] !== undefined);
        if (kinds.length > 1) {
          at(offset, `a turn is either user:, press: or bot: (this one has ${kinds.join(' and ')})`);
          continue;
        }
        const turn: Turn = { line };
        if (raw.user !== undefined) turn.user = String(raw.user);
        if (raw.press !== undefined) turn.press = String(raw.press);
        if (raw.bot !== undefined) turn.bot = parseExpect(raw.bot);
        if (Array.isArray(raw.buttons)) turn.buttons = raw.buttons.map(String);
        if (raw.intent !== undefined) turn.intent = raw.intent === null ? null : String(raw.intent);
        if (raw.slots !== undefined) turn.slots = raw.slots as Record<string, unknown>;
        if (raw.flow !== undefined) turn.flow = raw.flow === null ? null : String(raw.flow);
        if (raw.step !== undefined) turn.step = String(raw.step);
        if (raw.status !== undefined) turn.status = String(raw.status);
        if (raw.handoff !== undefined) turn.handoff = raw.handoff as Record<string, unknown>;
        turns.push(turn);
      }
      const awaits = awaitsOf.get(name);
      tests.push({
        file,
        name,
        line: lines.linePos(keyOffset ?? 0).line,
        channel,
        limits: known[channel] ?? WEB_LIMITS,
        humans,
        ...(awaits ? { awaits } : {}),
        turns,
      });
    }
  }
  if (problems.length) throw new SourceFileError('SB_FLOWS_INVALID', problems);
  return tests;
}

/** How a reply looks on a channel with limits: buttons past the limit become a numbered menu. */
export function renderForChannel(
  content: Content,
  limits: ChannelLimitsSeen,
): { text: string; buttons: string[] } {
  if (content.type !== 'text') return { text: contentText(content), buttons: [] };
  const titles = [...(content.buttons ?? []), ...(content.quickReplies ?? [])].map((b) => b.title);
  if (titles.length <= limits.buttons) return { text: content.text, buttons: titles };
  return { text: `${content.text}\n${titles.map((t, i) => `${i + 1}. ${t}`).join('\n')}`, buttons: [] };
}

function contentText(content: Content): string {
  return content.type === 'media' ? (content.caption ?? content.url) : JSON.stringify(content);
}

function matches(expect: Expect, text: string): boolean {
  if (expect instanceof RegExp) return expect.test(text);
  const norm = (s: string) => s.replace(/[’‘]/g, "'").replace(/\s+/g, ' ').trim().toLowerCase();
  return norm(text).includes(norm(expect));
}

function show(expect: Expect): string {
  return expect instanceof RegExp ? String(expect) : expect;
}

/** `expected` is contained in `actual` (objects by key, recursively; strings case-insensitively). */
function subset(expected: unknown, actual: unknown): boolean {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => subset(v, (actual as Record<string, unknown>)[k]));
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      expected.length === actual.length &&
      expected.every((v, i) => subset(v, actual[i]))
    );
  }
  if (typeof expected === 'string' && typeof actual === 'string')
    return expected.toLowerCase() === actual.toLowerCase();
  if (expected === null) return actual === null || actual === undefined;
  return expected === actual;
}

export interface RunOptions {
  /** The channel plug-ins (`switchboard/channels`): the tests talk to the bot over the web chat's. */
  channels: readonly ChannelDefinition[];
  /** Only tests whose name contains this. */
  filter?: string;
  /** NLU cache (default: a folder under the OS temp dir). */
  cacheDir?: string;
}

/** Runs conversation tests against the bot in `botDir`. One bot for all, one customer per test. */
export async function runConversationTests(
  botDir: string,
  tests: ConversationTest[],
  options: RunOptions,
): Promise<TestResult[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-convtest-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    BOT_DIR: botDir,
    LOG_LEVEL: 'silent',
  });
  // Whether a person can take over, per test (keyed by the test's visitor), with handoff.yml's
  // wording for "nobody is available".
  const humans = new Map<string, HumanAvailability>();
  const unavailable = (await loadHandoffConfig(botDir))?.messages.unavailable;
  const bot = createSwitchboard(config, {
    channels: options.channels,
    nluCacheDir: options.cacheDir ?? path.join(os.tmpdir(), 'switchboard-nlu-cache'),
    outbox: { pollIntervalMs: 1000 },
    // Conversation tests check what the bot says; the human queue's notices (place in line)
    // depend on the other tests' customers. Whether someone would take a handoff is the test's.
    desk: false,
    setup: (b) =>
      b.use(async (ctx, next) => {
        const declared = humans.get(ctx.message.address?.visitorId as string);
        if (declared) setHumanAvailability(ctx, declared);
        await next();
      }),
  });
  await bot.start();
  const results: TestResult[] = [];
  try {
    let n = 0;
    for (const test of tests) {
      if (options.filter && !test.name.includes(options.filter)) continue;
      const visitorId = `convtest-${process.pid}-${++n}`;
      humans.set(visitorId, {
        available: test.humans === 'available',
        ...(unavailable ? { message: unavailable } : {}),
      });
      results.push(await runOne(bot, test, visitorId));
    }
  } finally {
    await bot.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

async function runOne(bot: SwitchboardBot, test: ConversationTest, visitorId: string): Promise<TestResult> {
  const transcript: string[] = [];
  const pending: { text: string; buttons: string[] }[] = [];
  let conversation: Conversation | undefined;
  let lastInbound: Message | undefined;
  let lastSeq = 0;
  let lastButtons: { title: string; payload: string }[] = [];
  /** Buttons of earlier messages, most recent first: still on screen, so still pressable. */
  const earlierButtons: { title: string; payload: string }[] = [];
  const fail = (turn: Turn, failure: string, expected?: string, actual?: string[]): TestResult => {
    if (expected !== undefined) transcript.push(`- ${expected}`);
    for (const a of actual ?? []) transcript.push(`+ ${a}`);
    return { test, passed: false, transcript, failure: `${test.file}:${turn.line}: ${failure}` };
  };
  const said = (r: { text: string; buttons: string[] }) =>
    `bot:  ${r.text.replace(/\n/g, '\n        ')}${r.buttons.length ? `  ${r.buttons.map((b) => `[${b}]`).join(' ')}` : ''}`;
  const limits = test.limits;

  for (const turn of test.turns) {
    if (turn.user !== undefined || turn.press !== undefined) {
      if (pending.length) {
        return fail(
          turn,
          `the bot said more than the test expects before this turn`,
          undefined,
          pending.map(said),
        );
      }
      let content: Content;
      if (turn.press !== undefined) {
        const wanted = turn.press.toLowerCase();
        const button =
          lastButtons.find((b) => b.title.toLowerCase() === wanted) ??
          earlierButtons.find((b) => b.title.toLowerCase() === wanted);
        if (!button) {
          return fail(
            turn,
            `no button '${turn.press}' in the bot's last message (it offered: ${lastButtons.map((b) => b.title).join(', ') || 'none'})`,
          );
        }
        content = { type: 'postback', payload: button.payload, title: button.title };
        transcript.push(`  user: [${button.title}]`);
      } else {
        content = { type: 'text', text: turn.user as string };
        transcript.push(`  user: ${turn.user}`);
      }
      const accepted = await bot.inbox.accept({
        channel: 'web',
        sender: { externalId: visitorId },
        address: { visitorId },
        content,
      });
      await bot.idle();
      const messages = await bot.store.messages.list(accepted.conversation.id, { afterSeq: lastSeq });
      lastSeq = messages.at(-1)?.seq ?? lastSeq;
      lastInbound = messages.find((m) => m.id === accepted.message.id);
      conversation = (await bot.store.conversations.get(accepted.conversation.id)) ?? undefined;
      const replies = messages.filter((m) => m.direction === 'out');
      for (const reply of replies) {
        const r = renderForChannel(reply.content, test.limits);
        if (r.text.length > limits.text) {
          return fail(
            turn,
            `a reply is ${r.text.length} characters; ${test.channel} allows ${limits.text}`,
            undefined,
            [said(r)],
          );
        }
        pending.push(r);
        if (reply.content.type === 'text') {
          const all = [...(reply.content.buttons ?? []), ...(reply.content.quickReplies ?? [])];
          earlierButtons.unshift(...lastButtons);
          lastButtons = all.flatMap((b) =>
            b.type === 'postback' ? [{ title: b.title, payload: b.payload }] : [],
          );
        }
      }
    }
    if (turn.bot !== undefined) {
      const next = pending.shift();
      if (!next) return fail(turn, 'the bot said nothing more', `bot:  ${show(turn.bot)}`);
      if (!matches(turn.bot, next.text)) {
        return fail(turn, 'the bot said something else', `bot:  ${show(turn.bot)}`, [
          said(next),
          ...pending.map(said),
        ]);
      }
      transcript.push(`  ${said(next)}`);
      if (
        turn.buttons &&
        !subset(
          turn.buttons.map((b) => b.toLowerCase()),
          next.buttons.map((b) => b.toLowerCase()),
        )
      ) {
        return fail(turn, 'other buttons', `buttons: ${turn.buttons.join(', ')}`, [
          `buttons: ${next.buttons.join(', ') || '(none)'}`,
        ]);
      }
    }
    if (turn.intent !== undefined) {
      const actual = lastInbound?.nlu?.intent ?? null;
      if (actual !== turn.intent) {
        return fail(turn, 'another intent', `intent: ${turn.intent}`, [
          `intent: ${actual} (confidence ${lastInbound?.nlu?.confidence.toFixed(2) ?? '–'})`,
        ]);
      }
    }
    const flow = conversation?.flow ?? null;
    // A flow that just finished leaves its slots in the engine's memory.
    const memory = conversation?.data.flowEngine as { last?: { slots: Record<string, unknown> } } | undefined;
    const slots = flow && flow.data?.awaiting !== 'resume' ? flow.slots : (memory?.last?.slots ?? {});
    if (turn.slots !== undefined && !subset(turn.slots, slots)) {
      return fail(turn, 'other slots', `slots: ${JSON.stringify(turn.slots)}`, [
        `slots: ${JSON.stringify(slots)}`,
      ]);
    }
    if (turn.flow !== undefined && (flow?.flowId ?? null) !== turn.flow) {
      return fail(turn, 'another flow', `flow: ${turn.flow}`, [`flow: ${flow?.flowId ?? null}`]);
    }
    if (turn.step !== undefined && flow?.step !== turn.step) {
      return fail(turn, 'another step', `step: ${turn.step}`, [`step: ${flow?.step ?? '(no flow)'}`]);
    }
    if (turn.status !== undefined && conversation?.status !== turn.status) {
      return fail(turn, 'another status', `status: ${turn.status}`, [`status: ${conversation?.status}`]);
    }
    if (turn.handoff !== undefined && !subset(turn.handoff, conversation?.handoff ?? null)) {
      return fail(turn, 'another handoff', `handoff: ${JSON.stringify(turn.handoff)}`, [
        `handoff: ${JSON.stringify(conversation?.handoff ?? null)}`,
      ]);
    }
  }
  if (pending.length) {
    const last = test.turns.at(-1) as Turn;
    return fail(last, 'the bot said more than the test expects', undefined, pending.map(said));
  }
  return { test, passed: true, transcript };
}

const warnedLegacy = new Set<string>();

/** Where a bot folder keeps its conversation tests. */
export const CONVERSATION_TESTS_DIR = path.join('test', 'conversations');

/**
 * The conversation tests of a bot folder: `test/conversations/*.yml`, or, in a bot made before
 * that folder, `tests/*.yml` (said once on stderr, with the move to make).
 */
export function testFilesIn(botDir: string): string[] {
  let dir = path.join(botDir, CONVERSATION_TESTS_DIR);
  const legacy = path.join(botDir, 'tests');
  if (!existsSync(dir) && existsSync(legacy)) {
    if (!warnedLegacy.has(legacy)) {
      warnedLegacy.add(legacy);
      console.warn(
        `switchboard: reading conversation tests from ${legacy}; move them to ${path.join(botDir, CONVERSATION_TESTS_DIR)} (tests/ is read until then)`,
      );
    }
    dir = legacy;
  }
  try {
    return readdirSync(dir)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort()
      .map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/** A human-readable report: one line per test, the transcript of each failure. */
export function formatResults(results: TestResult[], cwd = process.cwd()): string {
  const out: string[] = [];
  for (const r of results) {
    const where = `${path.relative(cwd, r.test.file)}:${r.test.line}`;
    if (r.passed && r.test.awaits)
      out.push(`  ✓ ${r.test.name}  (passes now: remove its \`awaits: ${r.test.awaits}\`)`);
    else if (r.passed) out.push(`  ✓ ${r.test.name}`);
    else if (r.test.awaits) out.push(`  … ${r.test.name}  (${where}; fails until ${r.test.awaits})`);
    else {
      out.push(`  ✗ ${r.test.name}  (${where})`);
      out.push(
        `    ${r.failure ? path.relative(cwd, r.failure.split(':')[0] as string) + r.failure.slice(r.failure.indexOf(':')) : ''}`,
      );
      for (const line of r.transcript) out.push(`      ${line}`);
    }
  }
  const failed = results.filter((r) => !r.passed && !r.test.awaits).length;
  const awaiting = results.filter((r) => !r.passed && r.test.awaits).length;
  out.push(
    '',
    `${results.length - failed - awaiting} passed, ${failed} failed${awaiting ? `, ${awaiting} awaiting (known to fail until what they await lands)` : ''}`,
  );
  return out.join('\n');
}

/** Whether a run succeeded: every test passed, except those marked `awaits:`. */
export function runSucceeded(results: TestResult[]): boolean {
  return results.every((r) => r.passed || r.test.awaits !== undefined);
}
