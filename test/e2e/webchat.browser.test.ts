/**
 * Microsoft's Web Chat (the official `botframework-webchat` bundle from npm, served by this
 * test) in headless Chromium against Switchboard's Direct Line channel, offline, over
 * WebSocket and over polling, talking to the sample bot (with the desk and a fake Slack).
 *
 * The host page does what sites embedding Web Chat do: its backend mints a token with the
 * secret (`/token` here), the page keeps the conversation in sessionStorage so a reload
 * resumes it, and a store middleware posts a `webchat/join` event once, which the bot
 * answers with its welcome.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Context } from '../../src/core/context';
import { until } from '../channels/slack/harness';
import { ADA, type DeskBot, SUPPORT, slackText, startDeskBot } from '../desk/harness';
import { hasChromium, launchChromium } from '../helpers/chromium';

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, 'test-results');
const SECRET = 'webchat-test-secret-0123456789abcdef0123';
const WAIT = { timeout: 20_000 };
const WEBCHAT_JS = path.join(ROOT, 'node_modules/botframework-webchat/dist/webchat.js');

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Northwind Goods</title>
<style>html, body { height: 100%; margin: 0; font-family: sans-serif } #webchat { height: 100% }</style>
</head><body><div id="webchat"></div>
<script src="/webchat.js"></script>
<script>
(async () => {
  const params = new URLSearchParams(location.search);
  const webSocket = params.get('ws') === '1';
  let session = JSON.parse(sessionStorage.getItem('directline') || 'null');
  if (!session) {
    session = await (await fetch('/token', { method: 'POST' })).json();
    sessionStorage.setItem('directline', JSON.stringify(session));
  }
  const directLine = window.WebChat.createDirectLine({
    domain: params.get('domain'),
    token: session.token,
    webSocket,
    // A reload resumes the conversation; the empty watermark replays its history.
    ...(session.joined && { conversationId: session.conversationId, watermark: '' }),
  });
  const store = window.WebChat.createStore({}, ({ dispatch }) => (next) => (action) => {
    if (action.type === 'DIRECT_LINE/CONNECT_FULFILLED' && !session.joined) {
      session.joined = true;
      sessionStorage.setItem('directline', JSON.stringify(session));
      dispatch({ type: 'WEB_CHAT/SEND_EVENT', payload: { name: 'webchat/join' } });
    }
    return next(action);
  });
  window.statuses = [];
  directLine.connectionStatus$.subscribe((s) => window.statuses.push(s));
  window.WebChat.renderWebChat({ directLine, store }, document.getElementById('webchat'));
})();
</script></body></html>`;

const BOX_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="160" viewBox="0 0 320 160">
<rect width="320" height="160" fill="#f3e6d3"/><rect x="110" y="40" width="100" height="90" rx="8" fill="#b5773a"/>
<rect x="110" y="40" width="100" height="22" fill="#8f5a28"/></svg>`;

/** The host site: the page, the Web Chat bundle, a product picture, and a backend that mints tokens. */
async function startSite(botUrl: () => string) {
  const server = http.createServer((req, res) => {
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (req.url?.startsWith('/?') || req.url === '/') return send('text/html', PAGE);
    if (req.url === '/webchat.js') return send('application/javascript', fs.readFileSync(WEBCHAT_JS));
    if (req.url === '/box.svg') return send('image/svg+xml', BOX_SVG);
    if (req.url === '/token' && req.method === 'POST') {
      // Server-side, with the secret: the browser never sees it.
      fetch(`${botUrl()}/v3/directline/tokens/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: { id: `dl_${Math.random().toString(36).slice(2)}`, name: 'Ana' } }),
      })
        .then((r) => r.text())
        .then((body) => send('application/json', body))
        .catch(() => res.writeHead(502).end());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Every URL the page asks for that is not on this machine's loopback. */
function watchOffHost(page: Page): string[] {
  const offHost: string[] = [];
  const check = (url: string) => {
    const { protocol, hostname } = new URL(url);
    if (protocol !== 'data:' && protocol !== 'blob:' && hostname !== '127.0.0.1') offHost.push(url);
  };
  page.on('request', (request) => check(request.url()));
  page.on('websocket', (socket) => check(socket.url()));
  return offHost;
}

(hasChromium() ? describe : describe.skip)('Microsoft Web Chat against Switchboard (Direct Line)', () => {
  let h: DeskBot;
  let site: Awaited<ReturnType<typeof startSite>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    site = await startSite(() => h.url);
    // What a bot author writes for Web Chat: a welcome when the page joins, and a product carousel.
    const setup = (bot: {
      use(fn: (ctx: Context, next: () => Promise<void>) => Promise<unknown>): unknown;
    }) =>
      bot.use(async (ctx, next) => {
        if (ctx.payload === 'webchat/join') {
          await ctx.reply({
            type: 'text',
            text: 'Welcome to Northwind Goods! Ask me anything, or pick one:',
            quickReplies: [
              { type: 'postback', title: 'Opening hours', payload: 'opening hours' },
              { type: 'postback', title: 'Bestsellers', payload: 'bestsellers' },
            ],
          });
          return;
        }
        if (ctx.payload === 'bestsellers' || /bestsellers/i.test(ctx.text ?? '')) {
          await ctx.reply({
            type: 'card',
            cards: [
              {
                title: 'Canvas tote',
                subtitle: '€19 · ships tomorrow',
                imageUrl: `${site.url}/box.svg`,
                buttons: [{ type: 'postback', title: 'Buy the tote', payload: 'buy:tote' }],
              },
              {
                title: 'Enamel mug',
                subtitle: '€12',
                imageUrl: `${site.url}/box.svg`,
                buttons: [{ type: 'url', title: 'Details', url: `${site.url}/mug` }],
              },
            ],
          });
          return;
        }
        await next();
      });
    h = await startDeskBot({ env: { DIRECTLINE_SECRET: SECRET }, create: { setup } });
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await h?.stop();
    await site?.close();
  });

  async function open(webSocket: boolean): Promise<{ page: Page; offHost: string[]; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 480, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const offHost = watchOffHost(page);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const domain = encodeURIComponent(`${h.url}/v3/directline`);
    await page.goto(`${site.url}/?ws=${webSocket ? 1 : 0}&domain=${domain}`, WAIT);
    return { page, offHost, errors };
  }

  const fromBot = (page: Page, text: string | RegExp) =>
    page.locator('.webchat__bubble:not(.webchat__bubble--from-user)').filter({ hasText: text });
  const fromUser = (page: Page, text: string | RegExp) =>
    page.locator('.webchat__bubble--from-user').filter({ hasText: text });

  test.each([
    ['WebSocket', true],
    ['polling', false],
  ])(
    'over %s: greeting, a suggested action, a hero card carousel, and a reload that restores the history',
    async (mode, webSocket) => {
      const { page, offHost, errors } = await open(webSocket);

      // The welcome, with its suggested actions.
      await fromBot(page, 'Welcome to Northwind Goods!').waitFor(WAIT);
      await page.locator('.webchat__suggested-action').filter({ hasText: 'Opening hours' }).click(WAIT);
      // The click shows as the customer's message; the sample bot answers it (NLU on the title).
      await fromUser(page, 'Opening hours').waitFor(WAIT);
      await fromBot(page, /customer service is open Monday to Friday/).waitFor(WAIT);

      // Typed text; the answer is a carousel of hero cards with pictures and buttons.
      const input = page.locator('[data-id="webchat-sendbox-input"]');
      await input.fill('show me your bestsellers');
      await input.press('Enter');
      const tote = page.locator('.ac-adaptiveCard').filter({ hasText: 'Canvas tote' });
      await tote.waitFor(WAIT);
      await expect(
        tote.locator('img').evaluate((img) => {
          const image = img as unknown as { complete: boolean; naturalWidth: number };
          return image.complete && image.naturalWidth > 0;
        }),
      ).resolves.toBe(true);
      await expect(tote.getByRole('button', { name: 'Buy the tote' }).isVisible()).resolves.toBe(true);
      await page
        .locator('.ac-adaptiveCard')
        .filter({ hasText: 'Enamel mug' })
        .waitFor({ state: 'attached', ...WAIT });

      fs.mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({
        path: path.join(RESULTS, `webchat-${webSocket ? 'websocket' : 'polling'}.png`),
      });

      // A card button (messageBack) reaches the bot as a postback with its payload and title.
      await tote.getByRole('button', { name: 'Buy the tote' }).click(WAIT);
      await until(async () => {
        const hit = (
          await h.bot.searchConversations({ text: 'show me your bestsellers', channel: 'directline' })
        )[0];
        const messages = await h.bot.store.messages.list(hit?.id ?? '');
        return messages.some(
          (m) =>
            m.content.type === 'postback' &&
            m.content.payload === 'buy:tote' &&
            m.content.title === 'Buy the tote',
        );
      });

      // Reload: the page resumes the conversation; the history comes back once, in order.
      await page.reload(WAIT);
      await fromBot(page, 'Welcome to Northwind Goods!').waitFor(WAIT);
      await tote.waitFor(WAIT);
      await fromUser(page, 'show me your bestsellers').waitFor(WAIT);
      const transcript = await page
        .locator('.webchat__bubble')
        .evaluateAll((els) =>
          els.map(
            (el) =>
              (el.classList.contains('webchat__bubble--from-user') ? 'user: ' : 'bot: ') + el.textContent,
          ),
        );
      const at = (pattern: RegExp) => transcript.findIndex((t) => pattern.test(t));
      expect(transcript.filter((t) => /Welcome to Northwind/.test(t))).toHaveLength(1);
      expect(at(/^bot: Welcome/)).toBeLessThan(at(/^user: Opening hours/));
      expect(at(/^user: Opening hours/)).toBeLessThan(at(/^bot: .*customer service is open/));
      expect(at(/^bot: .*customer service is open/)).toBeLessThan(at(/^user: show me your bestsellers/));
      // The join event was posted once: one welcome in the store too.
      await h.idle();
      const conversation = (
        await h.bot.searchConversations({ text: 'show me your bestsellers', channel: 'directline' })
      )[0];
      const messages = await h.bot.store.messages.list(conversation?.id ?? '');
      expect(messages.filter((m) => m.text.startsWith('Welcome to Northwind'))).toHaveLength(1);

      // Still talking after the reload.
      await input.fill('thanks');
      await input.press('Enter');
      await fromBot(page, /You're welcome/).waitFor(WAIT);
      await expect(page.getByText(/Send failed/).count()).resolves.toBe(0);
      const statuses = await page.evaluate(() => (globalThis as unknown as { statuses: number[] }).statuses);
      expect(statuses).toContain(2); // Online
      expect(statuses.filter((s) => s > 2)).toEqual([]); // never expired, failed or ended
      expect(offHost).toEqual([]);
      expect(errors).toEqual([]);
      expect(mode).toBeTruthy();
    },
    120_000,
  );

  test('a Web Chat customer asks for a person; the operator claims in Slack and her reply reaches Web Chat', async () => {
    const { page, offHost } = await open(true);
    await fromBot(page, 'Welcome to Northwind Goods!').waitFor(WAIT);
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    await input.fill('I want to talk to a person');
    await input.press('Enter');
    await fromBot(page, /connecting you with a colleague/i).waitFor(WAIT);

    // The escalation card reaches the support channel, naming the channel.
    let conversationId = '';
    await until(async () => {
      const hit = (await h.bot.searchConversations({ text: 'talk to a person', channel: 'directline' }))[0];
      conversationId = hit?.id ?? '';
      return hit?.status === 'queued';
    });
    await until(() =>
      h.fake.messages.some(
        (m) => m.channel === SUPPORT && !m.thread_ts && slackText(m).includes(conversationId),
      ),
    );
    const card = h.fake.messages.find((m) => m.channel === SUPPORT && slackText(m).includes(conversationId));
    expect(slackText(card ?? {})).toMatch(/\*Channel\*\\ndirectline/);

    await h.click(ADA, 'desk:claim', conversationId);
    await fromBot(page, /Ada has joined/).waitFor(WAIT);
    const thread = await h.desk.outbox.currentThread(conversationId);
    if (!thread) throw new Error('no thread');
    await h.threadReply(ADA, SUPPORT, thread.ts, 'Hi, I am Ada from Northwind. How can I help?');
    await fromBot(page, 'Hi, I am Ada from Northwind').waitFor(WAIT);

    // The customer's answer reaches the operator's thread.
    await input.fill('My parcel never arrived');
    await input.press('Enter');
    await until(() =>
      h.fake.messages.some(
        (m) => m.thread_ts === thread.ts && slackText(m).includes('My parcel never arrived'),
      ),
    );
    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'webchat-operator.png') });
    await h.click(ADA, 'desk:handback', conversationId);
    await fromBot(page, /back with the assistant/).waitFor(WAIT);
    expect(offHost).toEqual([]);
  }, 120_000);
});
