/**
 * The embeddable widget in a real browser against the real server: the demo page at `/`
 * loads `/widget.js`, a visitor chats, reloads, and finds the conversation again.
 * Selectors are the widget's `data-testid` hooks (its Shadow DOM is open, so they pierce it).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestBot, type TestBot } from '../helpers/bot';
import { hasChromium, launchChromium } from '../helpers/chromium';

const RESULTS = path.join(__dirname, '..', '..', 'test-results');
const WAIT = { timeout: 15_000 };

/** Every URL the page asks for that is not on this machine's loopback (data:/blob: stay in the page). */
function watchOffHost(page: Page): string[] {
  const offHost: string[] = [];
  const check = (url: string) => {
    const { protocol, hostname } = new URL(url);
    if (protocol === 'data:' || protocol === 'blob:') return;
    if (hostname !== '127.0.0.1') offHost.push(url);
  };
  page.on('request', (request) => check(request.url()));
  page.on('websocket', (socket) => check(socket.url()));
  return offHost;
}

const bubbles = (page: Page, author: string, text: string) =>
  page.locator(`[data-testid="sb-message"][data-author="${author}"]`).filter({ hasText: text });

async function openWidget(page: Page): Promise<void> {
  await page.getByTestId('sb-launcher').click(WAIT);
  await page.getByTestId('sb-panel').waitFor({ state: 'visible', ...WAIT });
}

(hasChromium() ? describe : describe.skip)('web widget in Chromium', () => {
  let bot: TestBot;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    bot = await startTestBot();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await bot?.stop();
  });

  test('a visitor says hello, gets the echo, and keeps the conversation across a reload', async () => {
    // Reduced motion: no open animation in the screenshot (and the widget's reduced-motion path is exercised).
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const offHost = watchOffHost(page);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${bot.baseUrl}/`, WAIT);
    await openWidget(page);
    const input = page.getByTestId('sb-input');
    await input.fill('hello');
    await input.press('Enter');

    // Our own bubble, confirmed by the server (no pending or failed state left on it).
    await bubbles(page, 'customer', 'hello').and(page.locator(':not([data-state])')).waitFor(WAIT);
    await bubbles(page, 'bot', 'You said: hello').waitFor(WAIT);

    await page.reload(WAIT);
    // The panel was open: it is open again after the reload.
    await page.getByTestId('sb-panel').waitFor({ state: 'visible', ...WAIT });
    const customer = bubbles(page, 'customer', 'hello');
    const reply = bubbles(page, 'bot', 'You said: hello');
    await customer.waitFor(WAIT);
    await reply.waitFor(WAIT);
    // History is shown once (deduped by id), the visitor's message before the bot's answer.
    expect(await customer.count()).toBe(1);
    expect(await reply.count()).toBe(1);
    const order = await page
      .getByTestId('sb-message')
      .evaluateAll((els) => els.map((el) => `${el.getAttribute('data-author')}: ${el.textContent}`));
    expect(order.indexOf('customer: hello')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('customer: hello')).toBeLessThan(order.indexOf('bot: You said: hello'));

    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'web-widget.png') });
    expect(offHost).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  /** A host page of the shop (served by the test at `path`) embedding the widget with `attributes`. */
  async function hostPage(
    ctx: BrowserContext,
    pagePath: string,
    attributes: string,
    script = '',
  ): Promise<Page> {
    const page = await ctx.newPage();
    await page.route(`${bot.baseUrl}${pagePath}`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>Shop</title><h1>Shop</h1>${script}<script src="/widget.js" ${attributes} async></script>`,
      }),
    );
    await page.goto(`${bot.baseUrl}${pagePath}`, WAIT);
    return page;
  }

  test('a page trigger opens the chat with its greeting; the visitor answers in the same chat', async () => {
    const ctx = await browser.newContext({ reducedMotion: 'reduce' });
    try {
      const triggers = JSON.stringify([
        { page: '/pricing', afterSeconds: 1, greeting: 'Questions about our plans? Ask me.' },
        { page: '/help/*', greeting: 'Looking for help?' },
      ]);
      const page = await hostPage(ctx, '/pricing', `data-triggers='${triggers}'`);
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.getByTestId('sb-panel').waitFor({ state: 'visible', ...WAIT });
      await bubbles(page, 'bot', 'Questions about our plans? Ask me.').waitFor(WAIT);
      expect(await bubbles(page, 'bot', 'Looking for help?').count()).toBe(0);
      const input = page.getByTestId('sb-input');
      await input.fill('how much is the pro plan');
      await input.press('Enter');
      await bubbles(page, 'bot', 'You said: how much is the pro plan').waitFor(WAIT);
      // Once per visitor: remembered, so the next visit to /pricing does not greet again.
      expect(
        await page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('switchboard.trigger.'))"),
      ).toEqual(['switchboard.trigger./pricing|Questions about our plans? Ask me.']);

      // Switchboard.init() from the host page, queued before the async script loads; a prefix page.
      const help = await hostPage(
        ctx,
        '/help/returns',
        '',
        `<script>window.Switchboard = [['init', { triggers: [{ page: '/help/*', greeting: 'Need help with a return?' }] }]];</script>`,
      );
      await bubbles(help, 'bot', 'Need help with a return?').waitFor(WAIT);
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 90_000);
});
