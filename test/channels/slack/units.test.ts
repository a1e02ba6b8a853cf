/** Rendering, settings and the customer/desk routing of the Slack adapter. */
import { slackChannel } from '../../../adapters/slack/channel';
import { renderContent, escapeMrkdwn, sideOfCommand, sideOfEvent } from '../../../adapters/slack';
import { plainText } from '../../../adapters/slack/inbound';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { type SlackBot, startSlackBot, until } from './harness';

describe('render', () => {
  test('mrkdwn escapes exactly &, < and >', () => {
    expect(escapeMrkdwn('<@U1> & <!here> > *bold*')).toBe('&lt;@U1&gt; &amp; &lt;!here&gt; &gt; *bold*');
    expect(renderContent({ type: 'text', text: 'a & b' })).toEqual({ text: 'a &amp; b' });
  });

  test('quick replies become buttons; a payload over 2000 characters becomes a numbered choice', () => {
    const long = 'x'.repeat(2001);
    const rendered = renderContent({
      type: 'text',
      text: 'Choose',
      buttons: [{ type: 'url', title: 'Docs', url: 'https://docs.example/a' }],
      quickReplies: [
        { type: 'postback', title: 'Yes', payload: 'YES' },
        { type: 'postback', title: 'Long', payload: long },
      ],
    });
    expect(rendered?.blocks?.slice(1)).toEqual([
      {
        type: 'actions',
        elements: [expect.objectContaining({ action_id: 'sb:link:0', url: 'https://docs.example/a' })],
      },
      {
        type: 'actions',
        block_id: 'sb:quick:0',
        elements: [
          expect.objectContaining({ action_id: 'sb:postback:1', value: 'YES' }),
          // Second postback button: a click arrives as "2", which numbered replies maps back.
          expect.objectContaining({ action_id: 'sb:number:2', value: '2' }),
        ],
      },
    ]);
  });

  test('media, cards and locations', () => {
    expect(
      renderContent({ type: 'media', kind: 'image', url: 'http://127.0.0.1/p.png', caption: 'A & B' }),
    ).toEqual({
      text: 'A &amp; B',
      blocks: [
        {
          type: 'image',
          image_url: 'http://127.0.0.1/p.png',
          alt_text: 'A & B',
          title: { type: 'plain_text', text: 'A & B' },
        },
      ],
    });
    expect(
      renderContent({ type: 'media', kind: 'file', url: 'http://127.0.0.1/a|b.pdf', filename: 'a<b>.pdf' })
        ?.blocks,
    ).toEqual([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: ':page_facing_up: <http://127.0.0.1/a%7Cb.pdf|a&lt;b&gt;.pdf>' },
      },
    ]);
    const cards = renderContent({
      type: 'card',
      cards: [
        {
          title: 'Mug',
          subtitle: '€9',
          imageUrl: 'http://127.0.0.1/m.png',
          buttons: [{ type: 'postback', title: 'Buy', payload: 'BUY_MUG' }],
        },
        { title: 'Tee', buttons: [{ type: 'postback', title: 'Buy', payload: 'BUY_TEE' }] },
      ],
    });
    expect(cards?.blocks).toEqual([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*Mug*\n€9' },
        accessory: { type: 'image', image_url: 'http://127.0.0.1/m.png', alt_text: 'Mug' },
      },
      {
        type: 'actions',
        elements: [expect.objectContaining({ action_id: 'sb:postback:0', value: 'BUY_MUG' })],
      },
      { type: 'divider' },
      { type: 'section', text: { type: 'mrkdwn', text: '*Tee*' } },
      {
        type: 'actions',
        elements: [expect.objectContaining({ action_id: 'sb:postback:1', value: 'BUY_TEE' })],
      },
    ]);
    expect(renderContent({ type: 'location', latitude: 1, longitude: 2, name: 'Shop' })?.text).toMatch(
      /^:round_pushpin: <https:\/\/www\.openstreetmap\.org\/\?mlat=1&mlon=2#map=17\/1\/2\|Shop>$/,
    );
    expect(renderContent({ type: 'typing', on: true })).toBeNull();
  });

  test('long text is split over sections of at most 3000 characters', () => {
    const text = `${'a'.repeat(2990)}\n${'b'.repeat(2000)}`;
    const blocks = renderContent({
      type: 'text',
      text,
      buttons: [{ type: 'postback', title: 'Ok', payload: 'OK' }],
    })?.blocks as { type: string; text?: { text: string } }[];
    expect(blocks.map((b) => b.type)).toEqual(['section', 'section', 'actions']);
    expect(blocks.every((b) => (b.text?.text.length ?? 0) <= 3000)).toBe(true);
  });
});

test("Slack's wire text becomes plain text", () => {
  expect(
    plainText('<@U0BOT> see <https://x.example/a?b=1&amp;c=2|the page> &lt;3 <#C1|general> <!here>', 'U0BOT'),
  ).toBe('see the page (https://x.example/a?b=1&c=2) <3 #general @here');
});

describe('settings', () => {
  const env = (extra: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/x', ...extra });

  test('off when no SLACK_* is set; on when configured', () => {
    expect(slackChannel.fromConfig(env({}))).toBeNull();
    expect(
      slackChannel.fromConfig(env({ SLACK_BOT_TOKEN: 'xoxb-1-2', SLACK_SIGNING_SECRET: '0123456789abcdef' })),
    ).toMatchObject({ channel: 'slack', delivery: 'push' });
  });

  test('half-configured: one line per bad or missing value, secrets never shown', () => {
    let error: unknown;
    try {
      slackChannel.fromConfig(env({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_API_URL: 'slack.com' }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'SLACK_BOT_TOKEN: must be a bot token starting with "xoxb-" (got [redacted])',
      'SLACK_SIGNING_SECRET: is required when Slack is configured (Basic Information → Signing Secret) (got unset)',
      'SLACK_API_URL: must be an http(s) URL such as https://slack.com/api/ (got "slack.com")',
    ]);
  });
});

describe('the operator desk extension point', () => {
  let t: SlackBot;
  afterEach(async () => {
    await t?.stop();
    t = undefined as unknown as SlackBot;
  });

  test('routing rules', () => {
    const routes = { channels: (id: string) => id.startsWith('CDESK') };
    expect(sideOfEvent(routes, { type: 'message', channel: 'CDESK1' })).toBe('desk');
    expect(sideOfEvent(routes, { type: 'message', channel: 'D1' })).toBe('customer');
    expect(sideOfEvent(routes, { type: 'app_home_opened' })).toBe('desk');
    expect(sideOfCommand(routes, { command: '/switchboard', channel_id: 'D1' })).toBe('desk');
    expect(sideOfCommand(routes, { command: '/help', channel_id: 'D1' })).toBe('customer');
    expect(sideOfCommand(routes, { command: '/help', channel_id: 'CDESK2' })).toBe('desk');
  });

  test('desk requests reach the registered handler, its answer is the ack; customer commands reach the bot', async () => {
    const seen: string[] = [];
    t = await startSlackBot({
      before: (slack) => {
        slack.onOperatorEvent(async (request) => {
          seen.push(
            request.kind === 'command' ? `${request.command.command} ${request.command.text}` : request.kind,
          );
          if (request.kind === 'interaction') return undefined;
          return { response_type: 'ephemeral', text: 'Queue: 0 waiting' };
        });
        expect(() => slack.onOperatorEvent(async () => undefined)).toThrow(/already registered/);
      },
    });
    const desk = await t.command({
      command: '/switchboard',
      text: 'queue',
      user_id: 'U0OPERATR1',
      team_id: 'T0ACME001',
      channel_id: 'C0ANY',
      trigger_id: 't1',
    });
    expect(await desk.json()).toEqual({ response_type: 'ephemeral', text: 'Queue: 0 waiting' });
    const click = await t.interaction({
      type: 'block_actions',
      trigger_id: 't2',
      user: { id: 'U0OPERATR1', team_id: 'T0ACME001' },
      channel: { id: 'C0ANY' },
      actions: [{ action_id: 'desk:claim', value: 'conv_1', action_ts: '1.2' }],
    });
    expect(click.status).toBe(200);
    expect(seen).toEqual(['/switchboard queue', 'interaction']);
    // Not a desk command: the customer's words reach the bot as text.
    const customer = await t.command({
      command: '/ask',
      text: 'where is my order?',
      user_id: 'U0CUST0001',
      team_id: 'T0ACME001',
      channel_id: 'D0DMCHAN01',
      trigger_id: 't3',
    });
    expect(customer.status).toBe(200);
    await until(() => t.fake.posts().length >= 1);
    expect(t.fake.posts()[0]?.args).toMatchObject({
      channel: 'D0DMCHAN01',
      text: 'You said: /ask where is my order?',
    });
  });

  test('without a desk, desk requests are acked and ignored with a logged reason; nothing is stored', async () => {
    t = await startSlackBot();
    const res = await t.command({
      command: '/switchboard',
      text: 'queue',
      user_id: 'U0OPERATR1',
      team_id: 'T0ACME001',
      channel_id: 'C0ANY',
      trigger_id: 't1',
    });
    expect(res.status).toBe(200);
    expect(t.ignoredReasons()).toEqual(['belongs to the operator desk, and no desk is registered']);
    expect(await t.bot.store.identities.find('slack', 'T0ACME001:U0OPERATR1')).toBeNull();
  });

  test('a desk failure on an event answers 500 so Slack redelivers; the redelivery runs again', async () => {
    let calls = 0;
    t = await startSlackBot({
      before: (slack) =>
        slack.onOperatorEvent(
          async () => {
            calls += 1;
            if (calls === 1) throw new Error('desk store unavailable');
            return undefined;
          },
          { channels: ['C0ESCALATE'] },
        ),
    });
    const reply = {
      type: 'event_callback',
      team_id: 'T0ACME001',
      event_id: 'Ev0DESK1',
      event: {
        type: 'message',
        channel: 'C0ESCALATE',
        user: 'U0OPERATR1',
        text: 'hi',
        ts: '1.1',
        thread_ts: '1.0',
      },
    };
    expect((await t.event(reply)).status).toBe(500);
    expect((await t.event(reply, { 'x-slack-retry-num': '1' })).status).toBe(200);
    expect((await t.event(reply, { 'x-slack-retry-num': '2' })).status).toBe(200);
    expect(calls).toBe(2);
  });

  test('a slow desk is acked empty after its budget and finishes in the background', async () => {
    let finished = false;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    t = await startSlackBot({
      adapter: { deskAckBudgetMs: 50 },
      before: (slack) =>
        slack.onOperatorEvent(async () => {
          await released;
          finished = true;
          return { text: 'too late' };
        }),
    });
    const res = await t.command({
      command: '/switchboard',
      text: 'queue',
      user_id: 'U0OPERATR1',
      team_id: 'T0ACME001',
      channel_id: 'C0ANY',
      trigger_id: 't1',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(finished).toBe(false);
    release();
    await until(() => finished);
  });
});

test('the unsigned ssl_check probe is answered, and whatever rides along with it is ignored', async () => {
  const t = await startSlackBot();
  try {
    const smuggled = new URLSearchParams({
      ssl_check: '1',
      token: 'x',
      command: '/ask',
      text: 'inject',
      user_id: 'U0EVIL',
      team_id: 'T0ACME001',
      channel_id: 'D0EVIL',
    }).toString();
    for (const path of ['/webhooks/slack/commands', '/webhooks/slack/interactivity']) {
      const res = await t.post(path, smuggled, { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(200);
    }
    await t.bot.idle();
    expect(await t.bot.store.identities.find('slack', 'T0ACME001:U0EVIL')).toBeNull();
    expect(t.fake.posts()).toHaveLength(0);
  } finally {
    await t.stop();
  }
});
