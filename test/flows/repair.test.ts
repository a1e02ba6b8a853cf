/**
 * The engine's repair, on a table-booking bot written in the test and driven as a customer
 * would (conversation tests through the inbox, worker, NLU and flows): `/start` greets; the offer
 * to resume survives a side question; a value given up front is validated like an answer;
 * re-prompts say what is expected; a number from an earlier menu does not answer a text question;
 * without anyone to take over, "talk to a person" is answered honestly and the bot stays;
 * dates and amounts read in the bot's time zone and written for its locale.
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { createSwitchboard, type SwitchboardBot } from '../../src/app';
import { loadConfig } from '../../src/config';
import { SourceFileError } from '../../src/errors';
import { loadBot } from '../../src/flows';
import { formatResults, loadConversationTests, runConversationTests } from '../../src/flows/testing';
import { startTestBot, tempDir, writeBot } from '../helpers/bot';
import { channels } from '../../adapters';

const intents = `
intents:
  book:
    examples: [book a table, i want to reserve a table, table for two tonight, reserve a table for 4 people tomorrow at 8pm, can i book a table, i'd like a reservation]
  hours:
    examples: [when are you open, opening hours, what time do you open, are you open on sunday, hours]
    answers: [We're open from noon to midnight.]
  menu:
    examples: [show me the menu, what's on the menu, do you have vegan dishes, what food do you serve, menu please]
  human:
    examples: [talk to a person, i want a human, speak to someone, get me a real person]
  affirm:
    examples: ["yes", yes please, sure, ok, yep]
  deny:
    examples: ["no", no thanks, nope, nah]
`;

const flows = `
settings:
  timezone: Europe/Berlin
  locale: en-GB
  currency: EUR
flows:
  booking:
    trigger: book
    description: your booking
    steps:
      people:
        ask: For how many people?
        slot: people
        entity: number
        validate: value >= 1 and value <= 12
        invalid: We take bookings for 1 to 12 people; for bigger groups please call us.
      when:
        ask: When would you like to come?
        slot: when
        entity: datetime
      seating:
        choice: Inside or on the terrace?
        slot: seating
        options: [Inside, Terrace]
      wishes:
        ask: Any wishes for the kitchen?
        slot: wishes
        entity: text
      deposit:
        set:
          deposit: 25
      done:
        say: "Booked: {{slots.people}} people, {{slots.when}} ({{date(slots.when)}} at {{time(slots.when)}}; “{{slots.when.text}}”), {{lower(slots.seating)}}. Deposit {{money(slots.deposit)}}."
        end: true
  menu:
    trigger: menu
    steps:
      show:
        say: Today we have pasta and salads.
        end: true
  person:
    trigger: human
    steps:
      pass:
        say: I'm connecting you with a colleague.
        handoff:
          reason: The customer asked for a person
`;

async function run(tests: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = writeBot({
    'intents/main.yml': intents,
    'flows/main.yml': flows,
    'tests/main.yml': tests,
    ...extra,
  });
  const results = await runConversationTests(
    dir,
    loadConversationTests([path.join(dir, 'tests/main.yml')], channels),
    {
      channels,
      cacheDir: tempDir('sb-nlu-'),
    },
  );
  return formatResults(results, dir);
}

test('/start greets (the welcome message, or the greet intent’s answer); in the middle of something it asks again', async () => {
  const report = await run(`
tests:
  start with nothing in progress:
    - user: /start
    - bot: Hi! How can I help you today?
      flow: null
  start with a deep-link payload:
    - user: /start campaign-7
    - bot: Hi! How can I help you today?
  start in the middle of a booking:
    - user: book a table
    - bot: For how many people?
    - user: /start
    - bot: Hi! How can I help you today?
    - bot: For how many people?
      flow: booking
      step: people
  start over with nothing started:
    - user: start over
    - bot: Hi! How can I help you today?
`);
  expect(report).toContain('4 passed, 0 failed');
}, 60_000);

test('the offer to resume survives an FAQ (answered, offered again) and another flow (offered after it)', async () => {
  const report = await run(`
tests:
  an FAQ while offering to resume:
    - user: book a table
    - bot: For how many people?
    - user: actually, show me the menu first
    - bot: Today we have pasta and salads.
    - bot: Shall we get back to your booking?
    - user: when are you open?
      intent: hours
    - bot: We're open from noon to midnight.
    - bot: Shall we get back to your booking?
      buttons: ["Yes", "No"]
    - press: "Yes"
    - bot: For how many people?
      flow: booking
  another flow while offering to resume:
    - user: book a table
    - bot: For how many people?
    - user: what's on the menu today?
    - bot: pasta and salads
    - bot: Shall we get back to your booking?
    - user: what food do you serve
      intent: menu
    - bot: pasta and salads
    - bot: Shall we get back to your booking?
    - user: "yes"
    - bot: For how many people?
`);
  expect(report).toContain('2 passed, 0 failed');
}, 60_000);

test('a value given up front is validated like an answer, with the invalid: text; re-prompts say what is expected', async () => {
  const report = await run(`
tests:
  too many people up front:
    - user: book a table for 20 people
      intent: book
      slots: {}
    - bot: We take bookings for 1 to 12 people; for bigger groups please call us.
    - bot: For how many people?
      step: people
    - user: 4 then
      slots: { people: 4 }
    - bot: When would you like to come?
  a valid number up front is used:
    - user: reserve a table for 4 people
      slots: { people: 4 }
    - bot: When would you like to come?
  no number at all, then a wrong one:
    - user: book a table
    - bot: For how many people?
    - user: not sure yet
    - bot: Sorry, I was expecting a number.
    - bot: For how many people?
    - user: 40
    - bot: We take bookings for 1 to 12 people
    - user: 6
    - bot: When would you like to come?
    - user: whenever
    - bot: Sorry, I was expecting a date or time (like “tomorrow at 3pm”).
    - bot: When would you like to come?
    - user: tomorrow at 8
    - bot: Inside or on the terrace?
    - user: zebra trombone galaxy
    - bot: "Sorry, please choose one of: “Inside” or “Terrace”."
    - bot: Inside or on the terrace?
      buttons: [Inside, Terrace]
`);
  expect(report).toContain('3 passed, 0 failed');
}, 60_000);

test('a number or button from an earlier menu does not answer a free-text question', async () => {
  const report = await run(`
tests:
  a typed number after the seating menu:
    - user: book a table for 2 people
    - bot: When would you like to come?
    - user: tomorrow at 7pm
    - bot: Inside or on the terrace?
    - user: "1"
      slots: { seating: Inside }
    - bot: Any wishes for the kitchen?
    - user: "2"
    - bot: That option was for an earlier question.
    - bot: Any wishes for the kitchen?
      step: wishes
    - press: Terrace
    - bot: That option was for an earlier question.
    - bot: Any wishes for the kitchen?
    - user: a high chair please
      slots: { seating: Inside, wishes: a high chair please }
    - bot: Booked
`);
  expect(report).toContain('1 passed, 0 failed');
}, 60_000);

test('dates read in the bot’s time zone and written for its locale; date(), time(), money() and .text in templates', async () => {
  const report = await run(`
tests:
  a booking on a date:
    - user: book a table for 4 people
    - bot: When would you like to come?
    - user: on 5 December 2030 at 8pm
      slots: { when: { start: "2030-12-05T19:00:00.000Z", grain: time, text: Thursday 5 December at 20:00 } }
    - bot: Inside or on the terrace?
    - press: Terrace
    - bot: Any wishes for the kitchen?
    - user: no
    - bot: "Booked: 4 people, Thursday 5 December at 20:00 (Thursday, 5 December 2030 at 20:00; “Thursday 5 December at 20:00”), terrace. Deposit €25.00."
`);
  expect(report).toContain('1 passed, 0 failed');
}, 60_000);

test('validate knows date(), time() and money(), and checks settings:', async () => {
  const dir = writeBot({
    'intents/main.yml': intents,
    'flows/main.yml': `
settings:
  timezone: Europe/Berlinn
  locale: en_GB
flows:
  menu:
    trigger: menu
    steps:
      show:
        say: "{{date(message.text)}} {{time(message.text)}} {{money(1)}} {{dates(message.text)}}"
        end: true
`,
  });
  const error = await loadBot(dir, { train: false }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SourceFileError);
  const messages = (error as SourceFileError).problems.map((p) => `${p.line}: ${p.message}`);
  expect(messages).toEqual([
    "3: settings.timezone: 'Europe/Berlinn' is not valid",
    "4: settings.locale: 'en_GB' is not valid",
    expect.stringMatching(/^10: .*unknown function 'dates'.*date, time, money/),
  ]);
});

describe('without anyone to take over', () => {
  test('the bot says so (default wording), keeps the conversation, and comes back to what was in progress', async () => {
    const report = await run(`
tests:
  talk to a person, nobody there:
    humans: unavailable
    turns:
      - user: talk to a person
      - bot: Sorry, none of my colleagues can chat right now, so I can't pass you on.
        status: bot
        flow: null
  in the middle of a booking:
    humans: unavailable
    turns:
      - user: book a table
      - bot: For how many people?
      - user: i want a human
      - bot: none of my colleagues can chat right now
        status: bot
      - bot: Shall we get back to your booking?
      - press: "Yes"
      - bot: For how many people?
  with someone there:
    - user: talk to a person
    - bot: I'm connecting you with a colleague.
      status: queued
`);
    expect(report).toContain('3 passed, 0 failed');
  }, 60_000);

  describe('the sample bot with handoff.yml but no Slack (what `npm start` runs)', () => {
    let bot: SwitchboardBot;
    const root = path.resolve(__dirname, '../..');

    beforeAll(async () => {
      const dir = tempDir('sb-nodesk-');
      for (const sub of ['intents', 'flows', 'actions', 'shop-data'])
        cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
      cpSync(path.join(root, 'handoff.yml'), path.join(dir, 'handoff.yml'));
      const config = loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: tempDir('sb-nodesk-data-'),
        BOT_DIR: dir,
        LOG_LEVEL: 'silent',
      });
      bot = createSwitchboard(config, {
        channels,
        nluCacheDir: tempDir('sb-nlu-'),
        outbox: { pollIntervalMs: 1000 },
      });
      await bot.start();
    }, 60_000);

    afterAll(async () => {
      await bot?.stop();
    });

    async function send(visitorId: string, text: string) {
      const accepted = await bot.inbox.accept({
        channel: 'web',
        sender: { externalId: visitorId },
        address: { visitorId },
        content: { type: 'text', text },
      });
      await bot.idle();
      const messages = await bot.store.messages.list(accepted.conversation.id, {
        afterSeq: accepted.message.seq,
      });
      const conversation = await bot.store.conversations.get(accepted.conversation.id);
      return {
        replies: messages.flatMap((m) =>
          m.direction === 'out' && m.content.type === 'text' ? [m.content.text] : [],
        ),
        conversation,
      };
    }

    test('"talk to a person" gets handoff.yml’s unavailable text, no place in line, and the bot answers on', async () => {
      const first = await send('nodesk-1', 'talk to a person');
      expect(first.replies).toEqual([
        expect.stringMatching(
          /^Sorry, none of my colleagues can chat right now\. You can email help@northwind\.example/,
        ),
      ]);
      expect(first.replies.join(' ')).not.toMatch(/in line|connecting you/);
      expect(first.conversation?.status).toBe('bot');
      expect(first.conversation?.handoff).toBeNull();
      const events = await bot.store.events.list(first.conversation?.id as string);
      expect(events.map((e) => e.type)).toContain('handoff_unavailable');
      const next = await send('nodesk-1', 'when are you open?');
      expect(next.replies).toEqual([expect.stringContaining('Monday to Friday')]);
    });

    test('an angry complaint is not queued either, and three upset messages do not escalate', async () => {
      const { replies, conversation } = await send(
        'nodesk-2',
        'this is unacceptable, the parcel arrived broken and I am furious',
      );
      expect(replies.join(' ')).toMatch(/none of my colleagues can chat right now/);
      expect(conversation?.status).toBe('bot');
      await send('nodesk-2', 'terrible, awful service');
      const last = await send('nodesk-2', 'I hate this, worst shop ever');
      expect(last.conversation?.status).toBe('bot');
    });
  });
});

test('ctx.handOff() without a desk says nobody is available and keeps the conversation with the bot', async () => {
  const sb = await startTestBot({
    setup: (b) =>
      b.use(async (ctx, next) => {
        if (/refund/i.test(ctx.text ?? '')) {
          await ctx.handOff({ reason: 'Refund request', team: 'returns' });
          return;
        }
        await next();
      }),
  });
  try {
    const accepted = await sb.bot.inbox.accept({
      channel: 'web',
      sender: { externalId: 'handoff-code-1' },
      address: { visitorId: 'handoff-code-1' },
      content: { type: 'text', text: 'I want a refund' },
    });
    await sb.bot.idle();
    const messages = await sb.bot.store.messages.list(accepted.conversation.id);
    expect(messages.filter((m) => m.direction === 'out').map((m) => m.text)).toEqual([
      "Sorry, none of my colleagues can chat right now, so I can't pass you on. I'm still here for anything I can help with.",
    ]);
    expect((await sb.bot.store.conversations.get(accepted.conversation.id))?.status).toBe('bot');
  } finally {
    await sb.stop();
  }
});
