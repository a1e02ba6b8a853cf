/**
 * The desk's timers and triggers with a clock the test moves (no waiting): the SLA reminder,
 * the escalation to the overflow team, a claim that lapses; the escalation triggers besides
 * a flow (negative sentiment, a failing middleware, `ctx.handOff()`); and Resolve resuming a
 * named flow step with values the operator set.
 */
import type { DeskCore } from '../../src/desk/core';
import { handleTimer } from '../../src/desk/timers';
import type { DueTimer } from '../../src/handoff';
import { until } from '../channels/slack/harness';
import { ADA, type DeskBot, GRACE, SUPPORT, slackText, startDeskBot, webVisitor } from './harness';

jest.setTimeout(60_000);

let now = Date.now();
let h: DeskBot;
beforeAll(async () => {
  h = await startDeskBot({
    create: {
      desk: {
        clock: () => now,
        // Timers are swept by the test (h.desk.sweepTimers) at the times it chooses.
        timerIntervalMs: 3_600_000,
        sender: { pollIntervalMs: 20, retryBaseMs: 20, maxRetryDelayMs: 100 },
      },
      setup: (bot) => {
        bot.use(async (ctx, next) => {
          if (ctx.text === 'crash the bot') throw new Error('a bug in the bot');
          if (ctx.text?.startsWith('grr')) {
            // What the NLU would say of an upset message, without the sample flows' complaint handling.
            ctx.nlu = { intent: null, confidence: 0, sentiment: { score: -0.6, label: 'negative' } };
            return ctx.reply('Noted.');
          }
          if (ctx.text === 'refund over 500 euros')
            return ctx.handOff({ reason: 'Large refund', team: 'returns', priority: 'urgent' });
          return next();
        });
      },
    },
  });
});
afterAll(async () => {
  await h?.stop();
});

async function threadOf(conversationId: string) {
  await h.idle();
  const thread = await h.desk.outbox.currentThread(conversationId);
  if (!thread) throw new Error('no card');
  return thread;
}

const inThread = (ts: string, pattern: RegExp) =>
  h.fake.messages.filter((m) => m.thread_ts === ts && pattern.test(slackText(m)));

test('SLA: a reminder after `renotify`, then the move to the overflow team after `escalate`', async () => {
  now = Date.now();
  const customer = await webVisitor(h.url, 'visitor-timer-0001');
  const { conversationId } = await customer.say('I want to talk to a person');
  await customer.hears(/in line/);
  const first = await threadOf(conversationId);
  expect(first.channel).toBe(SUPPORT);

  now += 121_000; // support: renotify 120 s
  expect((await h.desk.sweepTimers()).map((t) => t.kind)).toEqual(['renotify']);
  await h.idle();
  const reminder = inThread(first.ts, /Still waiting after 2 minutes/);
  expect(reminder).toHaveLength(1);
  expect(
    h.fake.calls.find((c) => c.method === 'chat.postMessage' && /Still waiting/.test(String(c.args.text)))
      ?.args.reply_broadcast,
  ).toBe('true'); // form-encoded, as @slack/web-api sends it
  expect(slackText(h.fake.messages.find((m) => m.ts === first.ts) ?? {})).toMatch(/Waiting\* for 2 minutes/);

  now += 480_000; // escalate 600 s: to the overflow team, complaints
  const escalated = await h.desk.sweepTimers();
  expect(escalated.map((t) => t.kind)).toEqual(['escalate']);
  // Timers are delivered at least once: the same one again, later (a retried job), moves nothing twice.
  now += 5_000;
  await handleTimer((h.desk as unknown as { core: DeskCore }).core, escalated[0] as DueTimer);
  await h.idle();
  expect(h.fake.posts().filter((c) => c.args.channel === 'C0COMPLAINTS' && !c.args.thread_ts)).toHaveLength(
    1,
  );
  const moved = await threadOf(conversationId);
  expect(moved.channel).toBe('C0COMPLAINTS');
  expect((await h.desk.queue.get(conversationId))?.team).toBe('complaints');
  expect(slackText(h.fake.messages.find((m) => m.ts === first.ts) ?? {})).toMatch(
    /Transferred\* to \*complaints/,
  );
  expect(inThread(moved.ts, /Transferred from \*support\* by the SLA/)).toHaveLength(1);
  // Nothing fires twice.
  expect(await h.desk.sweepTimers()).toEqual([]);
  customer.close();
});

test('a claim lapses when the operator stays silent; the conversation waits again', async () => {
  now = Date.now();
  const customer = await webVisitor(h.url, 'visitor-timer-0002');
  const { conversationId } = await customer.say('can I speak to a human');
  await customer.hears(/in line/);
  await h.click(ADA, 'desk:claim', conversationId);
  await customer.hears(/Ada has joined/);
  const thread = await threadOf(conversationId);

  now += 601_000; // claim_timeout 600 s
  const fired = await h.desk.sweepTimers();
  expect(fired.map((t) => t.kind)).toContain('claim_lapsed');
  await h.idle();
  expect((await h.bot.store.conversations.get(conversationId))?.status).toBe('queued');
  expect((await h.desk.queue.get(conversationId))?.state).toBe('waiting');
  expect(inThread(thread.ts, /claim lapsed after 10 minutes/)).toHaveLength(1);
  await customer.hears(/Ada had to step away; you're back in the queue \(number \d+\)/);
  // The customer still reaches the thread, and hears their place in line again.
  await customer.say('hello? anyone there?');
  await until(() => inThread(thread.ts, /anyone there/).length === 1);
  await customer.hears(/You're number \d+ in line/);
  // Grace takes it; the lapse delivered again later (a retried job) leaves her claim alone.
  await h.click(GRACE, 'desk:claim', conversationId);
  await customer.hears(/Grace has joined/);
  now += 5_000;
  const lapsed = fired.find((t) => t.kind === 'claim_lapsed') as DueTimer;
  await handleTimer((h.desk as unknown as { core: DeskCore }).core, lapsed);
  await h.idle();
  expect((await h.bot.store.conversations.get(conversationId))?.status).toBe('assigned');
  expect(inThread(thread.ts, /claim lapsed/)).toHaveLength(1);
  customer.close();
});

test('triggers: a failing middleware and ctx.handOff() escalate; so do three upset messages in a row', async () => {
  const a = await webVisitor(h.url, 'visitor-trig-0001');
  const crash = await a.say('crash the bot');
  await a.hears(/in line/);
  const crashed = await h.bot.store.conversations.get(crash.conversationId);
  expect(crashed?.status).toBe('queued');
  expect(crashed?.handoff).toMatchObject({ source: 'bot_error', priority: 'high' });

  const b = await webVisitor(h.url, 'visitor-trig-0002');
  const refund = await b.say('refund over 500 euros');
  await b.hears(/in line/);
  expect(await h.desk.queue.get(refund.conversationId)).toMatchObject({
    team: 'returns',
    priority: 'urgent',
  });
  await h.idle();
  expect((await h.desk.outbox.currentThread(refund.conversationId))?.channel).toBe('C0RETURNS1');

  const c = await webVisitor(h.url, 'visitor-trig-0003');
  let escalated = false;
  let conversationId = '';
  const states: boolean[] = [];
  for (const text of ['grr one', 'grr two', 'grr three']) {
    conversationId = (await c.say(text)).conversationId;
    await h.idle();
    escalated = (await h.bot.store.conversations.get(conversationId))?.status === 'queued';
    states.push(escalated);
  }
  expect(states).toEqual([false, false, true]); // escalate_on.negative_sentiment: 3
  const events = await h.bot.store.events.list(conversationId);
  expect(events.find((e) => e.type === 'handoff_requested')?.data).toMatchObject({
    source: 'negative_sentiment',
    priority: 'high',
  });
  a.close();
  b.close();
  c.close();
});

test('Resolve with resume: the bot offers to continue the returns flow at the step the operator named', async () => {
  const customer = await webVisitor(h.url, 'visitor-resume-01');
  const { conversationId } = await customer.say('I need to talk to a person');
  await customer.hears(/in line/);
  await h.click(ADA, 'desk:claim', conversationId);
  await customer.hears(/Ada has joined/);
  const refused = await h.command(ADA, 'resolve resume=returns.nope');
  expect(String(refused.text)).toMatch(/no step "nope"/);
  // Later steps read the looked-up order, which only the `lookup` step sets: refused, with the way out.
  const tooLate = await h.command(ADA, 'resolve resume=returns.ask_reason order_id=ORD-10001 item=mug');
  expect(String(tooLate.text)).toMatch(/uses `order`.*resume at an earlier step \(`returns.lookup`\)/);
  expect((await h.desk.queue.get(conversationId))?.state).toBe('claimed');
  const answer = await h.command(ADA, 'resolve resume=returns.lookup order_id=ORD-10002');
  expect(String(answer.text)).toBe('Resolved.');
  const offer = await customer.hears(/Shall we get back to your return/);
  expect(offer.content).toMatchObject({ quickReplies: [{ payload: 'sb:yes' }, { payload: 'sb:no' }] });
  // No rating question when the bot resumes a flow.
  await customer.say('yes');
  // The order is looked up with the operator's value, and the flow asks its next question.
  await customer.hears(/Which item would you like to return\? In ORD-10002/);
  const conversation = await h.bot.store.conversations.get(conversationId);
  expect(conversation?.flow).toMatchObject({
    flowId: 'returns',
    step: 'ask_item',
    slots: { order_id: 'ORD-10002' },
  });
  customer.close();
});
