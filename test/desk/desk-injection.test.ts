/**
 * Customers write Slack markup — as their words and as their names — and it must reach
 * operators as text, never as a live mention or a disguised link. A web, a Telegram and a
 * WhatsApp customer each send the markup, ask for a person and keep writing while queued;
 * an operator searches, lists the queue and claims. Every call Slack received (top-level
 * `text`, blocks, attachments, views, response_url answers) and every slash-command answer
 * is then checked.
 */
import { startFakeTelegram, type FakeTelegram, SECRET, TOKEN } from '../channels/fake-telegram';
import { metaEnv, postSigned, startFakeGraph, whatsappMessage } from '../channels/meta-harness';
import { until } from '../channels/slack/harness';
import type { FakeApi, RecordedCall } from '../helpers/fake-api';
import { ADA, type DeskBot, startDeskBot, webVisitor } from './harness';

jest.setTimeout(120_000);

/** The markup set: broadcasts, a user mention, a disguised link, a user-group mention. */
const MARKUP = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U0EVIL0001>',
  '<https://evil.example|Support Team>',
  '<!subteam^S0EVIL01>',
];
const HOSTILE = `refund now ${MARKUP.join(' ')} &amp; thanks`;
/** Live markup in anything sent to Slack: what the customer wrote must never appear unescaped. */
const LIVE = [
  /<!channel>/,
  /<!here>/,
  /<!everyone>/,
  /<@U0EVIL0001>/,
  /<https:\/\/evil\.example/,
  /<!subteam/,
];

let tg: FakeTelegram;
let graph: FakeApi & { sends(): RecordedCall[] };
let h: DeskBot;

beforeAll(async () => {
  tg = await startFakeTelegram();
  graph = await startFakeGraph();
  h = await startDeskBot({
    env: {
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: tg.url,
      ...metaEnv(graph.url),
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await tg?.close();
  await graph?.close();
});

let updateId = 930_000_000;
async function telegramSays(text: string): Promise<void> {
  // The name is the customer's own choice on Telegram: markup in first and last name.
  const from = {
    id: 700_900_100,
    is_bot: false,
    first_name: '<!channel>',
    last_name: '<https://evil.example|Support Team>',
  };
  const res = await fetch(`${h.url}/webhooks/telegram`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    body: JSON.stringify({
      update_id: ++updateId,
      message: {
        message_id: updateId - 930_000_000,
        from,
        chat: { id: from.id, first_name: from.first_name, last_name: from.last_name, type: 'private' },
        date: Math.floor(Date.now() / 1000),
        text,
      },
    }),
  });
  expect(res.status).toBe(200);
}

let waN = 0;
async function whatsappSays(text: string): Promise<void> {
  const body = whatsappMessage(`wamid.INJECT${++waN}`, { type: 'text', text: { body: text } });
  const value = body.entry[0]?.changes[0]?.value as { contacts: { profile: { name: string } }[] };
  value.contacts = [{ ...value.contacts[0], profile: { name: '<!here> <@U0EVIL0001>' } } as never];
  const res = await postSigned(`${h.url}/webhooks/whatsapp`, body);
  expect(res.status).toBe(200);
}

/** Everything Slack was sent, as one string per call. */
function slackTraffic(): string[] {
  return h.fake.calls
    .filter((c) => c.method !== 'auth.test')
    .map((c) => `${c.method} ${JSON.stringify(c.args)}`);
}

test('customer markup reaches operators escaped: text, blocks, names, search, queue, claim', async () => {
  const web = await webVisitor(h.url, 'visitor-injection');
  await web.say(HOSTILE);
  await telegramSays(HOSTILE);
  await whatsappSays(HOSTILE);
  await h.idle();

  await web.say('talk to a person');
  await telegramSays('talk to a person');
  await whatsappSays('talk to a person');
  // Three cards, each with the transcript (holding the markup) in its thread.
  await until(
    () => h.fake.posts().filter((c) => String(c.args.text).startsWith('Escalation')).length >= 3,
    60_000,
  );
  await h.idle();

  // While queued, the customers keep writing: relays into the threads.
  await web.say(`still there? ${MARKUP[0]}`);
  await telegramSays(`still there? ${MARKUP[1]}`);
  await whatsappSays(`still there? ${MARKUP[4]}`);
  await h.idle();
  await until(
    () => h.fake.posts().filter((c) => /^Customer: still there/.test(String(c.args.text))).length >= 3,
    30_000,
  );

  // The operator's views: search results quote customer text; the queue lists reasons; claim names the customer.
  const answers = [
    await h.command(ADA, 'search refund'),
    await h.command(ADA, 'queue all'),
    await h.command(ADA, 'claim'),
  ].map((a) => JSON.stringify(a));
  await h.idle();

  const traffic = [...slackTraffic(), ...answers];
  const offending = traffic.filter((t) => LIVE.some((re) => re.test(t)));
  expect(offending).toEqual([]);
  // And the words are still there, as text: escaped, not dropped.
  const all = traffic.join('\n');
  expect(all).toContain('&lt;!channel&gt;');
  expect(all).toContain('&lt;https://evil.example|Support Team&gt;');
  expect(all).toContain('&lt;@U0EVIL0001&gt;');
  // The fallback text (notifications) of relays carries the escaped words.
  const relays = h.fake.posts().filter((c) => /^Customer: /.test(String(c.args.text)));
  expect(relays.some((c) => String(c.args.text).includes('&lt;!here&gt;'))).toBe(true);
  web.close();
});
