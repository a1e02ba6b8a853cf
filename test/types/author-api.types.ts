/**
 * Type tests for the author API, checked by `tsc` (`npm test` type-checks first): each
 * `@ts-expect-error` line must be an error, every other line must compile. Nothing here runs.
 */
import { Bot, Context, type Middleware, stateSlot } from '../../src';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof: T): void {}

class ShopContext extends Context {
  get orderId(): string | undefined {
    return this.text?.match(/ORD-\d+/)?.[0];
  }
}

export function authorApi(): void {
  const bot = new Bot();

  // on('text'): the text is a string, the content a text content.
  bot.on('text', (ctx) => {
    expectType<Equal<typeof ctx.text, string>>(true);
    expectType<Equal<typeof ctx.message.content.type, 'text'>>(true);
    return ctx.reply(ctx.text.toUpperCase());
  });
  // on('postback'): the payload is a string.
  bot.on('postback', (ctx) => {
    expectType<Equal<typeof ctx.payload, string>>(true);
    expectType<Equal<typeof ctx.message.content.payload, string>>(true);
  });
  // on('media'): the content is media (kind, url); the text is not narrowed.
  bot.on('media', (ctx) => {
    expectType<Equal<typeof ctx.message.content.kind, 'image' | 'file' | 'audio' | 'video'>>(true);
    expectType<Equal<typeof ctx.text, string | undefined>>(true);
  });
  // Several kinds: the content is one of them.
  bot.on(['text', 'postback'], (ctx) => {
    expectType<Equal<typeof ctx.message.content.type, 'text' | 'postback'>>(true);
  });
  // @ts-expect-error: not a content type
  bot.on('sticker', () => {});
  bot.use((ctx) => {
    expectType<Equal<typeof ctx.text, string | undefined>>(true);
  });

  // hears: the match, and the text.
  bot.hears(/order (ORD-\d+)/i, (ctx) => {
    expectType<Equal<typeof ctx.match, RegExpMatchArray>>(true);
    expectType<Equal<typeof ctx.text, string>>(true);
  });

  // A bot with its own context class: handlers get it, without casts.
  const shop = new Bot<ShopContext>({ context: ShopContext });
  shop.on('text', (ctx) => {
    expectType<Equal<typeof ctx.orderId, string | undefined>>(true);
  });
  const needsShop: Middleware<ShopContext> = (ctx, next) => (ctx.orderId ? ctx.reply(ctx.orderId) : next());
  shop.use(needsShop);
  // @ts-expect-error: a Bot<ShopContext> must be told its context class
  new Bot<ShopContext>({});
  // @ts-expect-error: a plain bot's handlers cannot expect a ShopContext
  bot.use(needsShop);

  // State slots: typed keys, no collisions between modules.
  const lastOrder = stateSlot<string>('lastOrder');
  bot.use(async (ctx, next) => {
    ctx.set(lastOrder, 'ORD-10001');
    expectType<Equal<ReturnType<typeof ctx.get<string>>, string | undefined>>(true);
    const order = ctx.get(lastOrder);
    expectType<Equal<typeof order, string | undefined>>(true);
    // @ts-expect-error: the slot holds strings
    ctx.set(lastOrder, 42);
    await next();
  });
}
