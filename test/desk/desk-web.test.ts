/**
 * The operator desk end to end, through real HTTP: a customer on the web widget's API asks
 * for a person → the card (with the transcript) is posted to the fake Slack → a signed
 * Claim click → the operator's thread reply reaches the customer's WebSocket → the
 * customer's answer appears in the thread → a `note:` reply stays internal → Resolve →
 * a rating → the bot answers the next message. Plus the slash command and the App Home.
 */
import { until } from '../channels/slack/harness';
import { ADA, type DeskBot, GRACE, SUPPORT, slackText, startDeskBot, webVisitor } from './harness';

jest.setTimeout(60_000);

let h: DeskBot;
beforeAll(async () => {
  h = await startDeskBot();
});
afterAll(async () => {
  await h?.stop();
});

const threadPosts = (ts: string) => h.fake.messages.filter((m) => m.thread_ts === ts);

/** A web customer who asked for a person, and Ada, who claimed the conversation. */
async function claimedByAda(visitorId: string) {
  const customer = await webVisitor(h.url, visitorId);
  const { conversationId } = await customer.say('talk to a human please');
  await customer.hears(/in line/);
  await h.click(ADA, 'desk:claim', conversationId);
  await customer.hears(/Ada has joined/);
  const thread = await h.desk.outbox.currentThread(conversationId);
  if (!thread) throw new Error('no thread');
  return { customer, conversationId, thread };
}

test('web customer → card → claim → live chat both ways → note stays internal → resolve → rating → bot again', async () => {
  const customer = await webVisitor(h.url, 'visitor-desk-0001');
  await customer.say('hi');
  await customer.hears(/.+/);
  const { conversationId } = await customer.say('I want to talk to a person');
  await customer.hears(/connecting you with a colleague/i);
  // The customer hears their place in line and the expected wait.
  const position = await customer.hears(/number 1 in line/i);
  expect(position.text).toMatch(/expected wait is about \d+ minutes?/);

  // The card goes to the support team's channel with the summary and a Claim button.
  await until(() => h.fake.messages.some((m) => m.channel === SUPPORT && !m.thread_ts));
  const card = h.fake.messages.find((m) => m.channel === SUPPORT && !m.thread_ts);
  if (!card) throw new Error('no card');
  const cardText = slackText(card);
  expect(cardText).toContain('The customer asked for a person');
  expect(cardText).toContain('desk:claim');
  expect(cardText).toContain(conversationId);
  expect(cardText).toMatch(/\*Channel\*\\nweb/);
  // Its thread starts with the full transcript.
  await until(() => threadPosts(card.ts).some((m) => /Transcript/.test(slackText(m))));
  const transcript = slackText(threadPosts(card.ts)[0] ?? {});
  expect(transcript).toContain('hi');
  expect(transcript).toContain('I want to talk to a person');
  expect(transcript).toContain('connecting you with a colleague');

  // Grace is not in the support team's... she is (support, complaints); Ada claims first.
  const claim = await h.click(ADA, 'desk:claim', conversationId);
  expect(claim.status).toBe(200);
  await customer.hears(/Ada has joined/);
  expect((await h.bot.store.conversations.get(conversationId))?.status).toBe('assigned');
  await until(() => threadPosts(card.ts).some((m) => /claimed this conversation/.test(slackText(m))));
  // The card now shows who has it and offers no Claim button.
  await until(() => /Claimed\* by <@U0ADA00001>/.test(slackText(card)));
  expect(slackText(card)).not.toContain('desk:claim');

  // A second claim (Grace, a moment later) is refused, ephemerally.
  await h.click(GRACE, 'desk:claim', conversationId);
  expect((await h.desk.queue.get(conversationId))?.operatorId).toBe(ADA);

  // The operator's thread reply reaches the customer's socket, with her name.
  await h.threadReply(
    ADA,
    SUPPORT,
    card.ts,
    'Hi, I am Ada. How can I help? See <https://shop.example/help|our help page>',
  );
  const fromAda = await customer.hears(/I am Ada/);
  expect(fromAda.author).toBe('operator');
  expect(fromAda.authorName).toBe('Ada');
  expect(fromAda.text).toBe('Hi, I am Ada. How can I help? See our help page (https://shop.example/help)');

  // The customer's answer appears in the thread; the bot stays silent.
  const before = customer.heard.length;
  await customer.say('My parcel never arrived');
  await until(() => threadPosts(card.ts).some((m) => slackText(m).includes('My parcel never arrived')));
  await h.idle();
  expect(customer.heard.slice(before).filter((m) => m.author === 'bot')).toEqual([]);

  // A note stays internal.
  await h.threadReply(ADA, SUPPORT, card.ts, 'note: customer sounds annoyed, check the courier');
  await h.threadReply(ADA, SUPPORT, card.ts, 'I have checked: it arrives tomorrow.');
  await customer.hears(/arrives tomorrow/);
  await h.idle();
  const texts = (await h.bot.store.messages.list(conversationId)).map((m) => m.text);
  expect(texts.join('\n')).not.toContain('courier');

  // Resolve: the bot is back and asks for a rating; the rating is stored.
  await h.click(ADA, 'desk:resolve', conversationId);
  await customer.hears(/Ada has closed the chat/);
  const csat = await customer.hears(/How did Ada do/);
  expect(csat.content).toMatchObject({
    quickReplies: expect.arrayContaining([expect.objectContaining({ payload: 'sb:csat:5' })]),
  });
  await customer.say('5');
  await customer.hears(/Thank you for the feedback/);
  const events = await h.bot.store.events.list(conversationId);
  expect(events.map((e) => e.type)).toEqual(
    expect.arrayContaining(['handoff_requested', 'handoff_claimed', 'handoff_resolved', 'csat']),
  );
  expect(events.find((e) => e.type === 'csat')?.data).toMatchObject({ rating: 5, operatorId: ADA });
  await until(() => /Resolved\* by Ada/.test(slackText(card)));
  // The closed card still says what it was about.
  expect(slackText(card)).toContain('✅ The customer asked for a person');
  expect(slackText(card)).toMatch(/\*Team\*\\nsupport/);

  // The bot answers the next message again.
  const heardBefore = customer.heard.length;
  await customer.say('where is my order?');
  await until(() => customer.heard.slice(heardBefore).some((m) => m.author === 'bot'));
  expect((await h.bot.store.conversations.get(conversationId))?.status).toBe('bot');
  customer.close();
});

test('Slack retrying an event does not send the operator reply twice', async () => {
  const { customer, conversationId, thread } = await claimedByAda('visitor-desk-0002');
  const event = {
    type: 'message',
    channel: SUPPORT,
    user: ADA,
    text: 'Only once, please',
    ts: '1767229999.000777',
    thread_ts: thread.ts,
  };
  await h.event(event, 'EvRETRY1');
  await h.event(event, 'EvRETRY2'); // a redelivery with a new envelope id: same message ts
  await customer.hears(/Only once/);
  await h.idle();
  const sent = (await h.bot.store.messages.list(conversationId)).filter(
    (m) => m.text === 'Only once, please',
  );
  expect(sent).toHaveLength(1);
  await h.click(ADA, 'desk:handback', conversationId);
  await customer.hears(/back with the assistant/);
  customer.close();
});

test("an operator's file reaches the customer as a link that opens it, once per file", async () => {
  h.fake.respond((call) => {
    if (call.method === 'files.info' && call.args.file === 'F0PHOTO001')
      return {
        body: {
          ok: true,
          file: {
            id: 'F0PHOTO001',
            mimetype: 'image/png',
            url_private_download: `${h.fake.url}/files-pri/T0TEAM0001-F0PHOTO001/download/label.png`,
          },
        },
      };
    if (call.path.startsWith('/files-pri/'))
      return { body: { png: 'bytes' }, headers: { 'content-type': 'image/png' } };
    return null;
  });
  try {
    const { customer, conversationId, thread } = await claimedByAda('visitor-desk-0009');
    const event = {
      type: 'message',
      subtype: 'file_share',
      channel: SUPPORT,
      user: ADA,
      text: 'Here is the return label',
      ts: '1767229999.000888',
      thread_ts: thread.ts,
      files: [
        { id: 'F0PHOTO001', name: 'label.png', mimetype: 'image/png', mode: 'hosted' },
        // Not on Slack's servers: cannot be passed on, and the operator is told.
        { id: 'F0GDRIVE01', title: 'Return policy', mode: 'external' },
      ],
    };
    await h.event(event, 'EvFILE1');
    await h.event(event, 'EvFILE2'); // Slack's retry: same message ts, nothing sent twice
    await customer.hears(/return label/);
    await until(() => customer.heard.some((m) => m.content.type === 'media'));
    await h.idle();
    const sent = (await h.bot.store.messages.list(conversationId)).filter((m) => m.author === 'operator');
    expect(sent.map((m) => m.content.type)).toEqual(['text', 'media']);
    const media = sent[1]?.content;
    if (media?.type !== 'media') throw new Error('no media');
    expect(media).toMatchObject({ kind: 'image', filename: 'label.png', mimeType: 'image/png' });
    const file = await fetch(media.url);
    expect([file.status, file.headers.get('content-type'), await file.text()]).toEqual([
      200,
      'image/png',
      JSON.stringify({ png: 'bytes' }),
    ]);
    const told = h.fake.calls
      .filter((c) => c.method === 'chat.postEphemeral')
      .map((c) => String(c.args.text));
    // (Told again on Slack's retry of the event: a private note, harmless.)
    expect(told.length).toBeGreaterThan(0);
    for (const note of told) expect(note).toMatch(/Not sent to the customer: Return policy/);
    const download = h.fake.calls.find((c) => c.path.startsWith('/files-pri/'));
    expect(download?.headers.authorization).toBe('Bearer xoxb-test-token');
    await h.click(ADA, 'desk:handback', conversationId);
    customer.close();
  } finally {
    h.fake.respond(null);
  }
});

test('/switchboard: queue, claim, mine, transfer, away/available, and the App Home', async () => {
  const customer = await webVisitor(h.url, 'visitor-desk-0003');
  const { conversationId } = await customer.say('can I speak to an agent');
  await customer.hears(/in line/);
  const queue = await h.command(ADA, 'queue');
  expect(String(queue.text)).toContain(conversationId);
  expect(String((await h.command('U0NOBODY01', 'mine')).text)).toMatch(/not an operator/);
  expect(String((await h.command(ADA, 'queue nosuch')).text)).toMatch(/There is no team "nosuch"/);
  expect(String((await h.command(ADA, 'frobnicate')).text)).toMatch(/There is no `\/switchboard frobnicate`/);
  expect(String((await h.command(ADA, 'search outcome:nonsense')).text)).toMatch(/outcome: is one of/);
  expect(String((await h.command(ADA, 'resolve')).text)).toMatch(/switchboard resolve <conversation id>/);

  expect(String((await h.command(ADA, 'away')).text)).toMatch(/away/);
  expect(String((await h.command(ADA, `claim ${conversationId}`)).text)).toMatch(/away/);
  expect(String((await h.command(ADA, 'available')).text)).toMatch(/available/);
  expect(String((await h.command(ADA, 'claim')).text)).toMatch(/You have the conversation/);
  expect(String((await h.command(ADA, 'mine')).text)).toContain(conversationId);

  // Transfer to returns: a new card in the returns channel; the old one says where it went.
  const old = await h.desk.outbox.currentThread(conversationId);
  expect(String((await h.command(ADA, 'transfer returns')).text)).toMatch(/Transferred to returns/);
  // Not to the team that already has it.
  expect(String((await h.command(ADA, `transfer returns ${conversationId}`)).text)).toMatch(
    /already with returns/,
  );
  await customer.hears(/our returns team/);
  await h.idle();
  const now = await h.desk.outbox.currentThread(conversationId);
  expect(now?.channel).toBe('C0RETURNS1');
  const oldCard = h.fake.messages.find((m) => m.ts === old?.ts);
  expect(slackText(oldCard ?? {})).toMatch(/Transferred\* to \*returns/);
  expect((await h.bot.store.conversations.get(conversationId))?.status).toBe('queued');

  // The App Home lists the queue for an operator of that team.
  await h.event({ type: 'app_home_opened', user: 'U0LINUS001', channel: 'D0HOME0001', tab: 'home' });
  await until(() => h.fake.calls.some((c) => c.method === 'views.publish'));
  const home = h.fake.calls.filter((c) => c.method === 'views.publish').at(-1);
  expect(home?.args.user_id).toBe('U0LINUS001');
  expect(JSON.stringify(home?.args.view)).toContain(conversationId);

  // Linus claims from the App Home, then resolves with a command that names the conversation.
  await h.click('U0LINUS001', 'desk:claim', conversationId, { view: { type: 'home', id: 'V1' } });
  await customer.hears(/Linus has joined/);
  expect(String((await h.command('U0LINUS001', `resolve ${conversationId}`)).text)).toBe('Resolved.');
  await customer.hears(/Linus has closed the chat/);
  customer.close();
});

test('only operators resolve, hand back or transfer (buttons and commands)', async () => {
  const customer = await webVisitor(h.url, 'visitor-desk-0010');
  const { conversationId } = await customer.say('talk to a human please');
  await customer.hears(/in line/);
  const stranger = 'U0STRANGER';
  for (const text of [
    `resolve ${conversationId}`,
    `handback ${conversationId}`,
    `transfer returns ${conversationId}`,
  ]) {
    const answer = await h.command(stranger, text);
    expect(JSON.stringify(answer)).toMatch(/not an operator/);
  }
  await h.click(stranger, 'desk:resolve', conversationId);
  await h.idle();
  expect(await h.desk.queue.get(conversationId)).toMatchObject({ state: 'waiting', team: 'support' });
  await h.click(ADA, 'desk:handback', conversationId);
  await customer.hears(/back with the assistant/);
  customer.close();
});

test('"cancel" while waiting leaves the queue and the card says so', async () => {
  // Grace has her App Home open: it is refreshed when someone joins the queue.
  await h.event({ type: 'app_home_opened', user: GRACE, channel: 'D0HOME0002', tab: 'home' });
  const homesBefore = () =>
    h.fake.calls.filter((c) => c.method === 'views.publish' && c.args.user_id === GRACE);
  await until(() => homesBefore().length > 0);
  const seen = homesBefore().length;
  const customer = await webVisitor(h.url, 'visitor-desk-0004');
  const { conversationId } = await customer.say('I need a real person');
  await customer.hears(/in line/);
  await until(() =>
    homesBefore().some((c, i) => i >= seen && JSON.stringify(c.args.view).includes(conversationId)),
  );
  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  expect(metrics).toMatch(/switchboard_handoff_waiting\{team="support"\} [1-9]/);
  expect(metrics).toMatch(/switchboard_desk_backlog \d+/);
  await customer.say('cancel');
  await customer.hears(/left the queue/);
  await h.idle();
  expect(await h.desk.queue.get(conversationId)).toBeNull();
  const thread = await h.desk.outbox.currentThread(conversationId);
  const card = h.fake.messages.find((m) => m.ts === thread?.ts);
  expect(slackText(card ?? {})).toMatch(/customer left the queue/);
  customer.close();
});
