/**
 * Media kept on a platform, opened through signed links (`GET /media/<token>`): a
 * customer's Telegram photo is fetched from the fake Bot API's file server with the bot
 * token and streamed to whoever holds the link; forged, expired and unknown links get
 * nothing.
 */
import { MediaLinks } from '../../src/media/links';
import type { MediaContent } from '../../src/model';
import {
  SECRET,
  TOKEN,
  type FakeTelegram,
  fixture,
  startFakeTelegram,
  until,
} from '../channels/fake-telegram';
import { metaEnv, startFakeGraph, startMetaBot } from '../channels/meta-harness';
import { type TestBot, startTestBot, tempDir } from '../helpers/bot';
import { memoryKv } from '../helpers/memory-kv';

describe('media links', () => {
  const base = () => 'https://bot.example.com/';

  test('grant the one file they name until they expire; anything altered is refused', async () => {
    const kv = memoryKv();
    const links = await MediaLinks.open(kv, undefined, base);
    const url = links.link(
      { channel: 'telegram', ref: 'tg-file:ABC', filename: 'box.jpg' },
      60_000,
      1_000_000,
    );
    expect(url).toMatch(/^https:\/\/bot\.example\.com\/media\/[\w-]+\.[\w-]+$/);
    const token = url.slice(url.lastIndexOf('/') + 1);
    expect(links.read(token, 1_000_000)).toEqual({
      channel: 'telegram',
      ref: 'tg-file:ABC',
      filename: 'box.jpg',
      expiresAt: 1_060_000,
    });

    // The generated secret is kept: another process (or a restart) reads the same links.
    const again = await MediaLinks.open(kv, undefined, base);
    expect(again.read(token, 1_000_000).ref).toBe('tg-file:ABC');
    const other = await MediaLinks.open(memoryKv(), undefined, base);
    expect(() => other.read(token, 1_000_000)).toThrow(expect.objectContaining({ reason: 'invalid' }));

    expect(() => links.read(token, 1_000_000 + 61_000)).toThrow(
      expect.objectContaining({ reason: 'expired' }),
    );
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ c: 'telegram', r: 'tg-file:SOMETHING_ELSE', e: 9_999_999_999 }),
    ).toString('base64url');
    for (const bad of [
      `${forged}.${signature}`,
      // One character of the signature changed (to one it is not: 1 token in 64 starts with x).
      `${payload}.${signature.startsWith('x') ? 'y' : 'x'}${signature.slice(1)}`,
      payload,
      `${token}.x`,
    ]) {
      expect(() => links.read(bad, 1_000_000)).toThrow(expect.objectContaining({ reason: 'invalid' }));
    }
  });

  test('public URLs are used as they are; platform references get a link', async () => {
    const links = await MediaLinks.open(memoryKv(), 'a-configured-secret-of-at-least-32-chars', base);
    const publicPhoto: MediaContent = { type: 'media', kind: 'image', url: 'https://cdn.example/p.jpg' };
    expect(links.urlFor('messenger', publicPhoto)).toBe('https://cdn.example/p.jpg');
    expect(links.urlFor('telegram', { type: 'media', kind: 'image', url: 'tg-file:X' })).toMatch(
      /^https:\/\/bot\.example\.com\/media\//,
    );
  });
});

describe('GET /media/<token> with Telegram', () => {
  let tg: FakeTelegram;
  let sb: TestBot;
  const photo = Buffer.from('\xff\xd8\xff\xe0 a small jpeg', 'latin1');

  beforeAll(async () => {
    tg = await startFakeTelegram();
    tg.addFile('AgACAgQAAxkBAAMrZ0fakePhotoLarge', photo, 'photos/file_7.jpg', 'image/jpeg');
    tg.addFile(
      'BQACAgQAAxkBAAMsZ0fakePage',
      Buffer.from('<script>alert(1)</script>'),
      'documents/page.html',
      'text/html',
    );
    sb = await startTestBot({
      env: {
        BOT_DIR: tempDir('sb-bot-'),
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        TELEGRAM_API_ROOT: tg.url,
      },
    });
  });
  afterAll(async () => {
    await sb?.stop();
    await tg.close();
  });

  test("a customer's photo: stored as a reference, opened through the link with the bot's token", async () => {
    const res = await fetch(`${sb.baseUrl}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify(fixture('telegram', 'update-message-photo.json')),
    });
    expect(res.status).toBe(200);
    const identity = await sb.bot.store.identities.find('telegram', '700100200');
    const conversation = identity && (await sb.bot.store.conversations.findOpen(identity.customerId));
    const [message] = conversation ? await sb.bot.store.messages.list(conversation.id, {}) : [];
    expect(message?.content).toMatchObject({
      type: 'media',
      kind: 'image',
      url: 'tg-file:AgACAgQAAxkBAAMrZ0fakePhotoLarge',
    });

    const url = sb.bot.media.urlFor('telegram', message?.content as MediaContent);
    expect(url.startsWith(`${sb.baseUrl}/media/`)).toBe(true);
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(photo);
    expect(file.headers.get('content-type')).toBe('image/jpeg');
    expect(file.headers.get('content-disposition')).toMatch(/^inline/);
    expect(file.headers.get('content-security-policy')).toMatch(/sandbox/);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    await until(() => tg.calls.some((c) => c.method === 'file'));
  });

  test('any file name is passed on (non-Latin, control characters); a HEAD does not fetch the file', async () => {
    for (const filename of ['Счёт.pdf', '写真.jpg', 'a\u0001b "q".pdf']) {
      const file = await fetch(
        sb.bot.media.link({ channel: 'telegram', ref: 'tg-file:BQACAgQAAxkBAAMsZ0fakePage', filename }),
      );
      expect(file.status).toBe(200);
      const disposition = file.headers.get('content-disposition') ?? '';
      expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
      expect(decodeURIComponent(disposition.split("UTF-8''")[1] ?? '')).toBe(filename);
    }
    const fetched = tg.calls.filter((c) => c.method === 'file').length;
    const head = await fetch(
      sb.bot.media.link({ channel: 'telegram', ref: 'tg-file:AgAC', mimeType: 'image/png' }),
      {
        method: 'HEAD',
      },
    );
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(tg.calls.filter((c) => c.method === 'file').length).toBe(fetched);
  });

  test('a file that could run as a page on our origin is only ever downloaded', async () => {
    const url = sb.bot.media.link({
      channel: 'telegram',
      ref: 'tg-file:BQACAgQAAxkBAAMsZ0fakePage',
      filename: 'page.html',
    });
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/);
    expect(file.headers.get('content-security-policy')).toMatch(/sandbox/);
  });

  test('forged, expired, unknown and unfetchable links get a JSON refusal and no bytes', async () => {
    const good = sb.bot.media.link({ channel: 'telegram', ref: 'tg-file:AgACAgQAAxkBAAMrZ0fakePhotoLarge' });
    const token = good.slice(good.lastIndexOf('/') + 1);
    const cases: [string, number][] = [
      [`${sb.baseUrl}/media/${token.slice(0, -2)}xx`, 404],
      [sb.bot.media.link({ channel: 'telegram', ref: 'tg-file:AgAC' }, -1000), 410],
      // Telegram no longer knows the file: a final answer, not a server error.
      [sb.bot.media.link({ channel: 'telegram', ref: 'tg-file:gone' }), 404],
      // No adapter for that channel in this process.
      [sb.bot.media.link({ channel: 'whatsapp', ref: 'wa-media:123' }), 404],
    ];
    for (const [url, status] of cases) {
      const res = await fetch(url);
      expect([url, res.status]).toEqual([url, status]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/^SB_/);
    }
  });
});

describe('GET /media/<token> with WhatsApp', () => {
  test('a media id → its URL from Graph → the bytes, both with the access token', async () => {
    const graph = await startFakeGraph();
    graph.respond((call) => {
      if (call.method === 'GET' && call.path === '/v21.0/1013859600285441')
        return {
          status: 200,
          body: {
            url: `${graph.url}/whatsapp_business/attachments/?mid=1013859600285441`,
            mime_type: 'image/jpeg',
          },
        };
      if (call.method === 'GET' && call.path === '/v21.0/777')
        return { status: 200, body: { url: 'http://127.0.0.2:9/elsewhere', mime_type: 'image/jpeg' } };
      if (call.method === 'GET' && call.path.startsWith('/whatsapp_business/attachments/'))
        return { status: 200, body: { jpeg: 'bytes' }, headers: { 'content-type': 'image/jpeg' } };
      return { status: 404, body: { error: { message: 'Unknown path', code: 100 } } };
    });
    const meta = await startMetaBot(metaEnv(graph.url));
    try {
      const url = meta.bot.media.link({ channel: 'whatsapp', ref: 'wa-media:1013859600285441' });
      const file = await fetch(url);
      expect(file.status).toBe(200);
      expect(await file.text()).toBe(JSON.stringify({ jpeg: 'bytes' }));
      expect(file.headers.get('content-type')).toBe('image/jpeg');
      const gets = graph.calls.filter((c) => c.method === 'GET');
      expect(gets.map((c) => c.headers.authorization)).toEqual([
        'Bearer EAAG-wa-token',
        'Bearer EAAG-wa-token',
      ]);
      // An id Graph does not know: refused as final, not retried as a server error.
      const unknown = await fetch(meta.bot.media.link({ channel: 'whatsapp', ref: 'wa-media:999' }));
      expect(unknown.status).toBe(404);
      // A media URL that is not Meta's (nor the configured Graph's) never gets the token.
      const elsewhere = await fetch(meta.bot.media.link({ channel: 'whatsapp', ref: 'wa-media:777' }));
      expect(elsewhere.status).toBe(404);
      expect(meta.logs.some((l) => /refusing to send the access token/.test(JSON.stringify(l)))).toBe(true);
    } finally {
      await meta.stop();
      await graph.close();
    }
  });
});
