/**
 * The console in Chromium: sign-in with the admin token (a signed HttpOnly SameSite cookie;
 * a cross-site sign-in refused), then the analytics page drawing its Chart.js charts from a
 * generated history whose true figures are known. Takes the screenshot docs/console.md shows:
 * into the system's temporary folder, or over docs/console/analytics.png with
 * `SB_UPDATE_DOCS=1` (so a test run leaves the working tree as it found it).
 */
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { expectedAnalytics } from '../../bench/analytics/expected';
import { type GeneratedConversation, generateHistory } from '../../bench/analytics/history';
import type { SqlStore } from '../../src/store';
import { startTestBot, type TestBot } from '../helpers/bot';
import { hasChromium, launchChromium } from '../helpers/chromium';

const TOKEN = 'test-admin-token-0123456789abcdef';
const DAY = 86_400_000;
const WAIT = { timeout: 20_000 };

(hasChromium() ? describe : describe.skip)('console analytics in Chromium', () => {
  let sb: TestBot;
  let browser: Browser;
  let history: GeneratedConversation[];
  let from: number;
  let to: number;

  beforeAll(async () => {
    sb = await startTestBot({ env: { ADMIN_API_TOKEN: TOKEN } });
    // Whole days, as the page's date filters pick them.
    to = Math.floor(Date.now() / DAY) * DAY + DAY;
    from = to - 7 * DAY;
    history = await generateHistory((sb.bot.store as SqlStore).driver, {
      conversations: 300,
      start: from,
      spanMs: Date.now() - from - 60_000,
      seed: 5,
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sb?.stop();
  });

  test('sign in with the token; the charts show the true figures', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
    const page = await context.newPage();
    await page.goto(`${sb.baseUrl}/console`);
    await page.getByLabel('Admin token (ADMIN_API_TOKEN)').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not the admin token.' }).waitFor(WAIT);

    await page.getByLabel('Admin token (ADMIN_API_TOKEN)').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: 'sb_console',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/console',
    });

    const expected = expectedAnalytics(history, { from, to });
    await page
      .locator('[data-figure="Conversations"] div')
      .filter({ hasText: String(expected.conversations) })
      .waitFor(WAIT);
    // Evaluated in the page (strings: this file is type-checked without the DOM's types).
    await page.waitForFunction('Object.keys(window.__charts).length === 6', null, WAIT);
    const shown = (await page.evaluate(`Object.fromEntries(Object.entries(window.__charts).map(([id, c]) =>
      [id, { labels: c.data.labels, data: c.data.datasets.map((d) => d.data) }]))`)) as Record<
      string,
      { labels: unknown[]; data: unknown[][] }
    >;
    const sum = (values: unknown[]) => values.reduce<number>((a, b) => a + Number(b ?? 0), 0);
    const messages = expected.byChannel.reduce((n, c) => n + c.messages, 0);
    expect(sum(shown.volume?.data[0] ?? [])).toBe(messages);
    expect(sum(shown.volume?.data[1] ?? [])).toBe(expected.conversations);
    expect(sum(shown.hours?.data[0] ?? [])).toBe(messages);
    expect(shown.intents?.labels).toEqual(expected.topIntents.map((i) => i.intent));
    expect(shown.channels?.labels).toEqual(expected.byChannel.map((c) => c.channel));
    expect(shown.reasons?.data[0]).toEqual(expected.handoffReasons.map((r) => r.count));
    await expect(page.locator('[data-figure="Automation rate"] div').textContent()).resolves.toBe(
      `${((expected.automationRate as number) * 100).toFixed(1)}%`,
    );
    // Each chart drew on its canvas.
    const drawn = await page.evaluate(
      `[...document.querySelectorAll('canvas')].map((canvas) => canvas.toDataURL().length > 5000)`,
    );
    expect(drawn).toEqual([true, true, true, true, true, true]);
    await page.screenshot({
      path: process.env.SB_UPDATE_DOCS
        ? path.resolve(__dirname, '../../docs/console/analytics.png')
        : path.join(os.tmpdir(), 'switchboard-console-analytics.png'),
      fullPage: true,
    });

    // A channel filter narrows every figure.
    await page.getByLabel('Channel').selectOption('web');
    await page.getByRole('button', { name: 'Apply' }).click();
    const web = expectedAnalytics(history, { from, to, channel: 'web' });
    await page
      .locator('[data-figure="Conversations"] div')
      .filter({ hasText: new RegExp(`^${web.conversations}$`) })
      .waitFor(WAIT);

    // CSV export of what is shown.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await new Promise<string>((resolve, reject) => {
      void download.createReadStream().then((stream) => {
        let text = '';
        stream.on('data', (chunk) => (text += chunk));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
    });
    expect(csv.split('\n')[0]).toBe('"hour","conversations","customer_messages","mean_sentiment"');
    expect(csv).toContain(`"web","${web.byChannel.find((c) => c.channel === 'web')?.conversations}"`);
    await context.close();
  }, 90_000);

  test('no session, no data; a sign-in posted from another site is refused', async () => {
    expect((await fetch(`${sb.baseUrl}/console/api/analytics`)).status).toBe(401);
    const forged = await fetch(`${sb.baseUrl}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: `token=${TOKEN}`,
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('set-cookie')).toBeNull();
    const tampered = await fetch(`${sb.baseUrl}/console/api/analytics`, {
      headers: { cookie: 'sb_console=eyJyb2xlIjoiYWRtaW4ifQ.AAAA' },
    });
    expect(tampered.status).toBe(401);
  });
});
