import { ConfigError } from '../../src/errors';
import { loadConfig } from '../../src/config';
import { Composer } from '../../src/core/composer';
import type { Context } from '../../src/core/context';
import { openStore } from '../../src/store';
import { startTestBot } from '../helpers/bot';

describe('configuration', () => {
  test('defaults are enough to start', () => {
    const config = loadConfig({}, '/srv/bot');
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      dataDir: '/srv/bot/data',
      allowedOrigins: '*',
    });
  });

  test('every bad value is reported on its own line, naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://db',
        LOG_LEVEL: 'loud',
        WEB_IDENTITY_SECRET: 'short',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/^PORT: .*"eighty"/m);
    expect(problems.join('\n')).toMatch(
      /^DATABASE_URL: must be a URL starting with postgres:\/\/ or postgresql:\/\//m,
    );
    expect(problems.join('\n')).toMatch(/^LOG_LEVEL: /m);
    // Secrets are never echoed back.
    expect(problems.join('\n')).toMatch(
      /^WEB_IDENTITY_SECRET: must be at least 32 characters .*\[redacted\]/m,
    );
  });
});

describe('middleware', () => {
  test('runs in order and guards against next() called twice', async () => {
    const seen: string[] = [];
    const composer = new Composer<Context>()
      .use(async (_ctx, next) => {
        seen.push('a');
        await next();
        seen.push('a-after');
      })
      .use(async () => {
        seen.push('b');
      });
    await composer.middleware()({} as Context, async () => {});
    expect(seen).toEqual(['a', 'b', 'a-after']);

    const twice = new Composer<Context>().use(async (_ctx, next) => {
      await next();
      await next();
    });
    await expect(twice.middleware()({} as Context, async () => {})).rejects.toThrow('next() called twice');
  });
});

describe('graceful shutdown', () => {
  test('finishes the message in flight before stopping', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const bot = await startTestBot({
      setup: (b) =>
        b.hears('slow', async (ctx) => {
          entered();
          await gate;
          await ctx.reply('finished');
        }),
    });
    await fetch(`${bot.baseUrl}/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId: 'visitor-slow-001', text: 'slow' }),
    });
    await inHandler;
    const store = bot.bot.store;
    const stopping = bot.stop();
    setTimeout(release, 100);
    // The store stays open until the in-flight message is done, so we can read it after stop().
    const identity = await store.identities.find('web', 'visitor-slow-001');
    await stopping;
    expect(identity).not.toBeNull();
    const reopened = await openStore({ dataDir: bot.dataDir });
    const conversation = await reopened.conversations.findOpen(identity?.customerId ?? '');
    const texts = (await reopened.messages.list(conversation?.id ?? '')).map((m) => m.text);
    expect(texts).toContain('finished');
    expect(await reopened.messages.nextUnprocessed(conversation?.id ?? '')).toBeNull();
    await reopened.close();
  });
});
