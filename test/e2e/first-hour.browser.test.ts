/**
 * The first hour in a browser: a bot made by `switchboard init` and started by `switchboard
 * start` shows its own name on its demo page (no Northwind shop); buttons of a question the
 * customer answered cannot be pressed again; the open panel stays open across a reload.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { cli } from '../helpers/cli';
import { startTestBot, type TestBot, tempDir } from '../helpers/bot';
import { hasChromium, launchChromium } from '../helpers/chromium';

const root = path.resolve(__dirname, '../..');
const WAIT = { timeout: 15_000 };

/** Reads until the value is `expected` (the page updates on its own time), then asserts it. */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  let value = await read();
  for (let i = 0; i < 150 && JSON.stringify(value) !== JSON.stringify(expected); i++) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  expect(value).toEqual(expected);
}

/** `switchboard start --dir DIR` in its own process; resolves with the URL its log says it runs on. */
function startCli(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(root, 'test/helpers/swc-register.js'),
      '-e',
      `require(${JSON.stringify(path.join(root, 'test/helpers/cli'))}).main(['start', '--dir', ${JSON.stringify(dir)}])`,
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: tempDir('sb-fh-data-'),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${output.join('')}`)), 60_000);
    child.stderr?.on('data', (d) => output.push(String(d)));
    child.stdout?.on('data', (d) => {
      output.push(String(d));
      for (const line of String(d).split('\n')) {
        // Not a terminal: JSON logs, the last line of the start says where it runs.
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as { msg?: string; url?: string };
        if (record.msg === 'switchboard is running' && record.url) {
          clearTimeout(timer);
          resolve({ url: record.url, child });
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output.join('')}`)));
  });
}

(hasChromium() ? describe : describe.skip)('the first hour, in Chromium', () => {
  let browser: Browser;
  const children: ChildProcess[] = [];
  let bot: TestBot | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await bot?.stop();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  });

  test('a bot made by init shows its own name on its demo page, not the sample shop', async () => {
    const dir = path.join(tempDir('sb-fh-'), 'acme-support');
    const quiet = { out: () => {}, err: () => {} };
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await cli(['init', dir], quiet)).toBe(0);
    } finally {
      log.mockRestore();
    }
    const started = await startCli(dir);
    children.push(started.child);

    const page = await browser.newPage();
    await page.goto(`${started.url}/`, WAIT);
    // BOT_NAME from the .env that init wrote: the page's title, heading and the widget's header.
    expect(await page.title()).toBe('Acme Support · chat demo');
    expect(await page.getByTestId('demo-title').textContent()).toBe('Acme Support');
    expect(await page.content()).not.toContain('Northwind');
    await page.getByTestId('sb-launcher').click(WAIT);
    await page.getByTestId('sb-panel').getByRole('heading', { name: 'Acme Support' }).waitFor(WAIT);
    await page.close();
  }, 120_000);

  test('the buttons of an answered question are disabled; the open panel stays open across a reload', async () => {
    // Every message is answered with the same question and its buttons: a re-asked question.
    bot = await startTestBot({
      setup: (b) =>
        b.on('text', (ctx) =>
          ctx.reply({
            type: 'text',
            text: 'Which size?',
            buttons: [
              { type: 'postback', title: 'Small', payload: 'small' },
              { type: 'postback', title: 'Large', payload: 'large' },
            ],
          }),
        ),
    });
    const page: Page = await browser.newPage();
    await page.goto(`${bot.baseUrl}/`, WAIT);
    await page.getByTestId('sb-launcher').click(WAIT);
    const input = page.getByTestId('sb-input');
    await input.fill('I want a mug');
    await input.press('Enter');
    const buttons = page.getByTestId('sb-button');
    await buttons.filter({ hasText: 'Small' }).first().waitFor(WAIT);
    expect(await buttons.count()).toBe(2);
    expect(await buttons.first().isEnabled()).toBe(true);

    await buttons.filter({ hasText: 'Small' }).first().click(WAIT);
    // The choice is a message of the customer's; the bot asks again: two new, live buttons.
    await page
      .locator('[data-testid="sb-message"][data-author="customer"]')
      .filter({ hasText: 'Small' })
      .waitFor(WAIT);
    await page.getByTestId('sb-input').fill('and a plate');
    await page.getByTestId('sb-input').press('Enter');
    await eventually(() => buttons.count(), 4);
    const enabled = async () => buttons.evaluateAll((els) => els.map((el) => !el.hasAttribute('disabled')));
    await eventually(enabled, [false, false, true, true]);

    await page.reload(WAIT);
    // Open before the reload, open after it, without a click; the history keeps the old buttons off.
    await page.getByTestId('sb-panel').waitFor({ state: 'visible', ...WAIT });
    await eventually(() => buttons.count(), 4);
    await eventually(enabled, [false, false, true, true]);

    // Closed, it stays closed.
    await page.getByTestId('sb-launcher').click(WAIT);
    await page.getByTestId('sb-panel').waitFor({ state: 'hidden', ...WAIT });
    await page.reload(WAIT);
    await page.getByTestId('sb-launcher').waitFor(WAIT);
    expect(await page.getByTestId('sb-panel').isVisible()).toBe(false);
    await page.close();
  }, 120_000);
});
