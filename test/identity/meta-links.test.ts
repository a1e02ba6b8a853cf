/**
 * Link codes on the Meta channels, end to end: signed webhooks into the real server, replies
 * at a fake Graph API on 127.0.0.1. Messenger → "continue on WhatsApp" → the wa.me pre-filled
 * text comes back; WhatsApp → "continue on Messenger" → the m.me ref comes back on a referral.
 */
import {
  PSID,
  postSigned,
  startFakeGraph,
  startMetaBot,
  testBehaviour,
  type MetaBot,
  metaEnv,
  until,
  WA_ID,
  whatsappMessage,
} from '../channels/meta-harness';
import type { FakeApi, RecordedCall } from '../helpers/fake-api';

let graph: FakeApi & { sends(): RecordedCall[] };
let sb: MetaBot;
const PAGE_ID = '105000000000001';
const OTHER_PSID = '6100000000000077';

beforeAll(async () => {
  graph = await startFakeGraph();
  sb = await startMetaBot(
    metaEnv(graph.url, { LINK_MESSENGER_PAGE: 'northwindgoods', LINK_WHATSAPP_NUMBER: '+49 151 1234 5678' }),
    testBehaviour,
  );
});

afterAll(async () => {
  await sb?.stop();
  await graph?.close();
});

let mid = 0;
const messenger = (psid: string, item: Record<string, unknown>) =>
  postSigned(`${sb.url}/webhooks/messenger`, {
    object: 'page',
    entry: [
      {
        id: PAGE_ID,
        time: Date.now(),
        messaging: [
          { sender: { id: psid }, recipient: { id: PAGE_ID }, timestamp: Date.now() + ++mid, ...item },
        ],
      },
    ],
  });
const whatsapp = (text: string) =>
  postSigned(
    `${sb.url}/webhooks/whatsapp`,
    whatsappMessage(`wamid.link.${++mid}`, { type: 'text', text: { body: text } }),
  );

/** Everything sent so far, as JSON text (the link may be in a text or a button). */
const sentJson = () => graph.sends().map((c) => JSON.stringify(c.json));

async function offered(host: string, after: number): Promise<string> {
  await until(() =>
    sentJson()
      .slice(after)
      .some((s) => s.includes(host)),
  );
  const json = sentJson()
    .slice(after)
    .find((s) => s.includes(host)) as string;
  return /LINK-[0-9A-Z]{5}-[0-9A-Z]{5}/.exec(json)?.[0] ?? '';
}

test('Messenger → wa.me pre-filled text → WhatsApp; WhatsApp → m.me ref → another Messenger account: one customer', async () => {
  expect((await messenger(PSID, { message: { mid: 'm_link_1', text: 'hello' } })).status).toBe(200);
  await until(() => graph.sends().length >= 1);

  let before = graph.sends().length;
  await messenger(PSID, { message: { mid: 'm_link_2', text: 'Can we continue on WhatsApp?' } });
  const waCode = await offered('wa.me', before);
  expect(sentJson().slice(before).join()).toContain(`https://wa.me/4915112345678?text=${waCode}`);

  before = graph.sends().length;
  expect((await whatsapp(waCode)).status).toBe(200);
  await until(() =>
    sentJson()
      .slice(before)
      .some((s) => s.includes('connected')),
  );

  before = graph.sends().length;
  await whatsapp('continue on messenger');
  const mCode = await offered('m.me', before);
  expect(sentJson().slice(before).join()).toContain(`https://m.me/northwindgoods?ref=${mCode}`);

  // The m.me link opens an existing thread: a referral event, no message.
  before = graph.sends().length;
  await messenger(OTHER_PSID, { referral: { ref: mCode, source: 'SHORTLINK', type: 'OPEN_THREAD' } });
  await until(() =>
    sentJson()
      .slice(before)
      .some((s) => s.includes('connected')),
  );
  await sb.bot.idle();

  const first = await sb.bot.store.identities.find('messenger', PSID);
  const customer = first?.customerId ?? '';
  const identities = await sb.bot.store.identities.listByCustomer(customer);
  expect(identities.map((i) => [i.channel, i.externalId, i.linkedBy]).sort()).toEqual([
    ['messenger', PSID, 'first_contact'],
    ['messenger', OTHER_PSID, 'link_code'],
    ['whatsapp', WA_ID, 'link_code'],
  ]);
  const conversation = await sb.bot.store.conversations.findOpen(customer);
  const messages = await sb.bot.store.messages.list(conversation?.id ?? '');
  expect([...new Set(messages.map((m) => m.channel))]).toEqual(['messenger', 'whatsapp']);
  expect(await sb.bot.store.links.listByCustomer(customer)).toHaveLength(2);
});
