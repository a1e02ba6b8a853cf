/**
 * The author API at run time, through a real bot and its web channel: `on()` hands the
 * narrowed content, `hears()` fills `ctx.match`, a bot's own context class is what its
 * handlers get, and state slots carry typed values from one middleware to the next.
 * (What the types promise is checked by tsc in test/types/author-api.types.ts.)
 */
import { WebAdapter } from '../../adapters/web';
import { loadConfig } from '../../src/config';
import { Bot } from '../../src/core/bot';
import { Context } from '../../src/core/context';
import { stateSlot } from '../../src/core/state';
import { tempDir } from '../helpers/bot';
import { until } from '../helpers/until';

class ShopContext extends Context {
  get orderId(): string | undefined {
    return this.text?.match(/ORD-\d+/)?.[0];
  }
}

const lastWords = stateSlot<string>('lastWords');
let bot: Bot<ShopContext>;
let url: string;

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir(), LOG_LEVEL: 'silent' });
  bot = new Bot<ShopContext>({ context: ShopContext, config, adapters: [new WebAdapter()] });
  bot.use(async (ctx, next) => {
    if (ctx.text) ctx.set(lastWords, ctx.text.toUpperCase());
    await next();
  });
  bot.hears(/track (ORD-(\d+))/i, (ctx) =>
    ctx.reply(
      `match: ${ctx.match[1]} / ${ctx.match[2]}; context: ${ctx.constructor.name}; order: ${ctx.orderId}`,
    ),
  );
  bot.hears('opening hours', (ctx) => ctx.reply(`hours (matched "${ctx.match[0]}")`));
  bot.on('postback', (ctx) => ctx.reply(`pressed ${ctx.payload}`));
  bot.on('text', (ctx) => ctx.reply(`slot: ${ctx.get(lastWords)}; length ${ctx.text.length}`));
  await bot.start();
  url = bot.url;
});

afterAll(() => bot.stop());

async function say(visitorId: string, body: Record<string, unknown>): Promise<string> {
  const before = await replies(visitorId);
  const res = await fetch(`${url}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitorId, ...body }),
  });
  expect(res.status).toBe(202);
  let after: string[] = [];
  await until(async () => {
    after = await replies(visitorId);
    return after.length > before.length;
  });
  return after.at(-1) as string;
}

async function replies(visitorId: string): Promise<string[]> {
  const res = await fetch(`${url}/web/messages?visitorId=${visitorId}`);
  const { messages } = (await res.json()) as { messages: { author: string; text: string }[] };
  return messages.filter((m) => m.author === 'bot').map((m) => m.text);
}

test("hears: ctx.match holds the groups; handlers get the bot's context class", async () => {
  expect(await say('v-author-1', { text: 'please track ORD-10001' })).toBe(
    'match: ORD-10001 / 10001; context: ShopContext; order: ORD-10001',
  );
});

test('hears with a string: the whole text, trimmed, in any case', async () => {
  expect(await say('v-author-2', { text: '  Opening Hours ' })).toBe('hours (matched "  Opening Hours ")');
  expect(await say('v-author-2', { text: 'opening hours please' })).toBe(
    'slot: OPENING HOURS PLEASE; length 20',
  );
});

test('on(): a postback gets its payload; a state slot carries a value to later middleware', async () => {
  expect(await say('v-author-3', { postback: { payload: 'menu:returns', title: 'Returns' } })).toBe(
    'pressed menu:returns',
  );
  expect(await say('v-author-3', { text: 'hello' })).toBe('slot: HELLO; length 5');
});
