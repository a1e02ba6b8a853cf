/** The page at `/`: the bot's own (name, colour, greeting), the sample's shop, a file of the bot's, or none. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { adaptersFromConfig } from '../../../src/core/channel';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { startTestBot, tempDir } from '../../helpers/bot';
import { webChannel } from '../../../adapters/web/channel';

const root = path.resolve(__dirname, '../../..');

async function page(env: Record<string, string>): Promise<{ status: number; body: string }> {
  const bot = await startTestBot({ env });
  try {
    const res = await fetch(`${bot.baseUrl}/`);
    return { status: res.status, body: await res.text() };
  } finally {
    await bot.stop();
  }
}

test("a bot's page carries its name, colour and greeting (escaped), and the snippet to embed it", async () => {
  const { status, body } = await page({
    BOT_NAME: 'Acme <Support>',
    WEB_ACCENT: '#0f766e',
    WEB_GREETING: 'Ask about "orders"',
  });
  expect(status).toBe(200);
  expect(body).toContain('<title>Acme &lt;Support&gt; · chat demo</title>');
  expect(body).toContain('style="--brand: #0f766e"');
  expect(body).toContain(
    '<script src="/widget.js" data-title="Acme &lt;Support&gt;" data-accent="#0f766e" data-greeting="Ask about &quot;orders&quot;" async></script>',
  );
  expect(body).not.toContain('Northwind');
  expect(body).not.toMatch(/\{\{\w+\}\}/);
});

test("the sample bot (Switchboard's own folder) shows the Northwind shop", async () => {
  const { body } = await page({ BOT_DIR: root });
  expect(body).toContain('Northwind Goods');
});

test("WEB_DEMO_PAGE=off serves nothing at /; a file of the bot's is served instead of the built-in page", async () => {
  expect((await page({ WEB_DEMO_PAGE: 'off' })).status).toBe(404);
  const dir = tempDir('sb-demo-');
  mkdirSync(path.join(dir, 'web'));
  writeFileSync(path.join(dir, 'web/index.html'), '<!doctype html><title>Ours</title>');
  const own = await page({ BOT_DIR: dir, WEB_DEMO_PAGE: 'web/index.html' });
  expect(own.status).toBe(200);
  expect(own.body).toBe('<!doctype html><title>Ours</title>');
});

test('bad web settings: one line each, with the rule', () => {
  try {
    adaptersFromConfig(loadConfig({ DATA_DIR: tempDir(), WEB_ACCENT: 'teal', WEB_DEMO_PAGE: 'yes' }), [
      webChannel,
    ]);
    throw new Error('expected a ConfigError');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'WEB_ACCENT: must be a hex colour such as #4f46e5 (got "teal")',
      'WEB_DEMO_PAGE: must be on, off, or an .html file in the bot folder (e.g. web/index.html) (got "yes")',
    ]);
  }
});
