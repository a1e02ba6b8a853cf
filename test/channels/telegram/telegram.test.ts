/** Settings and rendering of the Telegram channel (no network). */
import { ConfigError } from '../../../src/errors';
import { telegramSettings } from '../../../adapters/telegram';
import { telegramChannel } from '../../../adapters/telegram/channel';
import { CallbackData, MAX_TEXT, TelegramRenderer, splitText } from '../../../adapters/telegram/render';
import { verifySecretToken } from '../../../adapters/telegram/verify';
import { memoryKv } from '../../helpers/memory-kv';

const TOKEN = '6000000001:AAFakeTokenForTestsOnly_abcdefghij';

describe('settings', () => {
  test('off when no TELEGRAM_* is set', () => {
    expect(telegramSettings({ env: { PORT: '3000', TELEGRAM_MODE: '' } })).toBeNull();
    expect(telegramChannel.fromConfig({ env: {} } as never)).toBeNull();
  });

  test('half-set: one line per bad or missing setting, secrets never echoed', () => {
    let error: unknown;
    try {
      telegramSettings({
        env: { TELEGRAM_WEBHOOK_SECRET: 'short', TELEGRAM_MODE: 'push', TELEGRAM_API_ROOT: 'ftp://x' },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      expect.stringMatching(/^TELEGRAM_BOT_TOKEN: is required/),
      expect.stringMatching(/^TELEGRAM_MODE: must be "webhook" or "polling" \(got "push"\)/),
      expect.stringMatching(/^TELEGRAM_WEBHOOK_SECRET: must be 16–256 characters.*\(got \[redacted\]\)/),
      expect.stringMatching(/^TELEGRAM_API_ROOT: must be a URL/),
    ]);
  });

  test('webhook mode needs the secret; polling does not; the API root gets its trailing slash', () => {
    expect(() => telegramSettings({ env: { TELEGRAM_BOT_TOKEN: TOKEN } })).toThrow(
      /TELEGRAM_WEBHOOK_SECRET: is required/,
    );
    expect(
      telegramSettings({
        env: {
          TELEGRAM_BOT_TOKEN: TOKEN,
          TELEGRAM_MODE: 'polling',
          TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/tg',
        },
      }),
    ).toEqual({
      token: TOKEN,
      mode: 'polling',
      webhookSecret: undefined,
      apiRoot: 'http://127.0.0.1:8081/tg/',
    });
    expect(
      telegramSettings({ env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: 'a'.repeat(32) } }),
    ).toMatchObject({
      mode: 'webhook',
      apiRoot: 'https://api.telegram.org/',
    });
  });

  test('the secret header check', () => {
    expect(() => verifySecretToken('a'.repeat(32), 'a'.repeat(32))).not.toThrow();
    expect(() => verifySecretToken('a'.repeat(31), 'a'.repeat(32))).toThrow(/does not match/);
    expect(() => verifySecretToken(undefined, 'a'.repeat(32))).toThrow(/missing/);
    expect(() => verifySecretToken(['x', 'y'], 'a'.repeat(32))).toThrow(/missing/);
  });
});

describe('rendering', () => {
  const renderer = () => new TelegramRenderer(new CallbackData(memoryKv()));

  test('a carousel becomes one photo per card, title in bold, buttons under each', async () => {
    const calls = await renderer().render(
      {
        type: 'card',
        cards: [
          {
            title: 'Mug <XL>',
            subtitle: '12 €',
            imageUrl: 'https://shop.example/mug.png',
            buttons: [{ type: 'postback', title: 'Buy', payload: 'buy:mug' }],
          },
          { title: 'Gift card', buttons: [{ type: 'url', title: 'Open', url: 'https://shop.example/gift' }] },
        ],
      },
      42,
    );
    expect(calls.map((c) => c.method)).toEqual(['sendPhoto', 'sendMessage']);
    expect(calls[0]?.payload).toEqual({
      chat_id: 42,
      photo: 'https://shop.example/mug.png',
      caption: '<b>Mug &lt;XL&gt;</b>\n12 €',
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [[{ text: 'Buy', callback_data: 'buy:mug' }]] },
    });
    // If Telegram cannot fetch the picture, the card is still shown as text.
    expect(calls[0]?.fallback?.method).toBe('sendMessage');
    expect(calls[1]?.payload.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'Open', url: 'https://shop.example/gift' }]],
    });
  });

  test('media: stored Telegram files are re-sent by file id; each kind has its method', async () => {
    const r = renderer();
    const methods = [];
    for (const kind of ['image', 'file', 'audio', 'video'] as const) {
      const [call] = await r.render({ type: 'media', kind, url: 'tg-file:ABC', caption: 'see' }, 1);
      methods.push([call?.method, Object.values(call?.payload ?? {})]);
    }
    expect(methods).toEqual([
      ['sendPhoto', [1, 'ABC', 'see', 'HTML']],
      ['sendDocument', [1, 'ABC', 'see', 'HTML']],
      ['sendAudio', [1, 'ABC', 'see', 'HTML']],
      ['sendVideo', [1, 'ABC', 'see', 'HTML']],
    ]);
  });

  test('location: a venue when it has a name and address, else a pin (plus the one it has)', async () => {
    const r = renderer();
    expect(
      (
        await r.render({ type: 'location', latitude: 1, longitude: 2, name: 'Shop', address: 'Main St 1' }, 1)
      ).map((c) => c.method),
    ).toEqual(['sendVenue']);
    expect(
      (await r.render({ type: 'location', latitude: 1, longitude: 2, name: 'Shop' }, 1)).map((c) => c.method),
    ).toEqual(['sendLocation', 'sendMessage']);
  });

  test('long text is split under 4096 characters, buttons on the last piece; quick replies share rows', async () => {
    const text = `${'word '.repeat(700)}\n\n${'more '.repeat(700)}`;
    const calls = await renderer().render(
      {
        type: 'text',
        text,
        quickReplies: ['Yes', 'No', 'Maybe', 'Later'].map((t) => ({
          type: 'postback' as const,
          title: t,
          payload: t,
        })),
      },
      1,
    );
    expect(calls.length).toBe(2);
    expect(calls.every((c) => (c.payload.text as string).length <= MAX_TEXT)).toBe(true);
    expect(calls[0]?.payload.reply_markup).toBeUndefined();
    expect(
      (calls[1]?.payload.reply_markup as { inline_keyboard: unknown[][] } | undefined)?.inline_keyboard.map(
        (r) => r.length,
      ),
    ).toEqual([3, 1]);
    expect(splitText('a'.repeat(10), 4)).toEqual(['aaaa', 'aaaa', 'aa']);
  });

  test('a URL Telegram would refuse as a button is shown as text instead of dropped', async () => {
    const [call] = await renderer().render(
      { type: 'text', text: 'Call us', buttons: [{ type: 'url', title: 'Phone', url: 'tel:+351000' }] },
      1,
    );
    expect(call?.payload.text).toBe('Call us\n\nPhone: tel:+351000');
    expect(call?.payload.reply_markup).toBeUndefined();
  });

  test('callback data: short payloads travel as they are; long ones and look-alikes as keys', async () => {
    const data = new CallbackData(memoryKv());
    expect(await data.encode('handoff:yes')).toBe('handoff:yes');
    const long = 'é'.repeat(40); // 80 bytes
    const key = await data.encode(long);
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(64);
    expect(await data.decode(key)).toBe(long);
    const lookalike = await data.encode('sb~abc');
    expect(lookalike).not.toBe('sb~abc');
    expect(await data.decode(lookalike)).toBe('sb~abc');
    expect(await data.decode('sb~unknown')).toBeNull();
  });
});
