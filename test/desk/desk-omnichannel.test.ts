/**
 * The desk meets the omnichannel customer: the card shows the CRM profile (looked up on
 * handoff) and every linked channel; operators search past conversations and link or unlink
 * customers from Slack.
 */
import { signIdentityToken } from '../../adapters/web';
import { until } from '../channels/slack/harness';
import { ADA, type DeskBot, SUPPORT, slackText, startDeskBot } from './harness';

jest.setTimeout(60_000);

const SECRET = 'identity-secret-identity-secret-0123456789';
let h: DeskBot;
beforeAll(async () => {
  h = await startDeskBot({ env: { CRM_FILE: 'shop-data/customers.json', WEB_IDENTITY_SECRET: SECRET } });
});
afterAll(async () => {
  await h?.stop();
});

async function say(visitorId: string, text: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${h.url}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ visitorId, text }),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { conversationId: string; messageId: string };
}

test('the card shows the CRM profile and every linked channel; /switchboard link, unlink and search', async () => {
  // Ana, signed in on the web (the shop vouches for her e-mail): the CRM knows her.
  const ana = {
    'x-switchboard-identity': signIdentityToken({ sub: 'shop-user-1', email: 'ana@example.com' }, SECRET),
  };
  const web = await say('visitor-omni-0001', 'where is my parcel ORD-10001?', ana);
  // The same person wrote on Telegram before, as a stranger.
  const telegram = await h.bot.inbox.accept({
    channel: 'telegram',
    platformMessageId: 'tg-omni-1',
    sender: { externalId: '777001', profile: { name: 'Ana S.' } },
    address: { chatId: 777001 },
    content: { type: 'text', text: 'hello from telegram' },
  });
  await h.idle();
  expect(telegram.conversation.customerId).not.toBe(
    (await h.bot.store.conversations.get(web.conversationId))?.customerId,
  );

  // Nobody merges them without proof... until an operator does, from Slack.
  const linked = await h.command(ADA, `link ${telegram.conversation.id} ${web.conversationId}`);
  expect(String(linked.text)).toMatch(/Linked by Ada/);
  const linkId = /unlink (lnk_\w+)/.exec(String(linked.text))?.[1];
  expect(linkId).toBeDefined();

  // Ana asks for a person: the card has her tier from the CRM and both channels.
  await say('visitor-omni-0001', 'I want to talk to a person', ana);
  await until(() =>
    h.fake.messages.some(
      (m) => m.channel === SUPPORT && !m.thread_ts && slackText(m).includes(web.conversationId),
    ),
  );
  await h.idle();
  const card = h.fake.messages.find(
    (m) => m.channel === SUPPORT && !m.thread_ts && slackText(m).includes(web.conversationId),
  );
  const text = slackText(card ?? {});
  expect(text).toContain('Ana Silva');
  expect(text).toMatch(/tier: \*gold\*/);
  expect(text).toMatch(/Reachable on: .*web .*telegram `777001` \(operator merge\)/);
  // The transcript in the thread holds both channels' messages.
  const transcript = h.fake.messages.find((m) => m.thread_ts === card?.ts && /Transcript/.test(slackText(m)));
  expect(slackText(transcript ?? {})).toContain('hello from telegram');
  expect(slackText(transcript ?? {})).toMatch(/web → telegram|telegram → web/);

  // Search from Slack.
  const found = await h.command(ADA, 'search parcel channel:web');
  expect(String(found.text)).toContain(web.conversationId);
  expect(String(found.text)).toContain('where is my parcel');
  expect(String((await h.command(ADA, 'search zebra-trombone')).text)).toBe('No conversation matches.');
  expect(String((await h.command('U0NOBODY01', 'search parcel')).text)).toMatch(/not an operator/);

  // Unlink: the Telegram stranger is on their own again.
  await h.click(ADA, 'desk:handback', web.conversationId);
  const unlinked = await h.command(ADA, `unlink ${linkId}`);
  expect(String(unlinked.text)).toMatch(/Unlinked/);
  const identity = await h.bot.store.identities.find('telegram', '777001');
  const webCustomer = (await h.bot.store.conversations.get(web.conversationId))?.customerId;
  expect(identity?.customerId).not.toBe(webCustomer);
});
