/**
 * Every adapter's rendering stays within its platform's documented limits, and drops no
 * content: property-based (fast-check, fixed seed) over random Content, plus the fixed
 * suite channel × content (5,000-character text, 11 buttons, 40-character titles,
 * 241-character and empty payloads, a 12-card carousel, a card with an image and 4
 * buttons, a 1,500-character caption, 14 quick replies, emoji, markup characters, RTL).
 */
import fc from 'fast-check';
import { renderActivity } from '../../adapters/botframework/render';
import { renderMessenger } from '../../adapters/messenger/render';
import { renderContent as renderSlack } from '../../adapters/slack/render';
import { CallbackData, TelegramRenderer } from '../../adapters/telegram/render';
import { renderWhatsApp } from '../../adapters/whatsapp/render';
import { renderWaWeb } from '../../adapters/whatsapp-web/render';
import { channels } from '../../adapters';
import type { ChannelLimits } from '../../src/core/adapter';
import type { Button, Card, Content, PostbackButton } from '../../src/model';
import { memoryKv } from '../helpers/memory-kv';

// biome-ignore lint/suspicious/noExplicitAny: rendered platform JSON, read freely
type Json = any;

const limitsOf = (name: string): ChannelLimits => {
  const limits = channels.find((c) => c.name === name)?.capabilities?.limits;
  if (!limits) throw new Error(`no limits for ${name}`);
  return limits;
};
const len = (s: unknown) => (typeof s === 'string' ? [...s].length : 0);
const unescapeHtml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

type Renderer = (content: Content) => Promise<Json[]>;
type Checker = (out: Json[], problems: string[]) => void;

const telegram = new TelegramRenderer(new CallbackData(memoryKv()));

const channelsUnderTest: Record<string, { render: Renderer; check: Checker }> = {
  telegram: {
    render: async (c) => telegram.render(c, 1),
    check: (calls, p) => {
      const l = limitsOf('telegram');
      for (const call of calls) {
        for (const candidate of [call, call.fallback].filter(Boolean)) {
          const payload = candidate.payload;
          if (payload.text !== undefined) {
            const n = len(unescapeHtml(payload.text));
            if (n < 1 || n > l.text) p.push(`telegram text ${n}`);
          }
          if (payload.caption !== undefined && len(unescapeHtml(payload.caption)) > l.caption)
            p.push(`telegram caption ${len(unescapeHtml(payload.caption))}`);
          for (const button of (payload.reply_markup?.inline_keyboard ?? []).flat()) {
            if (len(button.text) < 1) p.push('telegram empty button text');
            if (button.callback_data !== undefined) {
              const bytes = Buffer.byteLength(button.callback_data);
              if (bytes < 1 || bytes > l.payload) p.push(`telegram callback_data ${bytes} bytes`);
            }
          }
        }
      }
    },
  },
  whatsapp: {
    render: async (c) => renderWhatsApp(c),
    check: (messages, p) => {
      const l = limitsOf('whatsapp');
      for (const m of messages) {
        if (m.type === 'text' && (len(m.text.body) < 1 || len(m.text.body) > l.text))
          p.push(`whatsapp text ${len(m.text.body)}`);
        const media = m[m.type];
        if (media?.caption !== undefined && len(media.caption) > l.caption) p.push('whatsapp caption');
        if (m.type !== 'interactive') continue;
        const i = m.interactive;
        if (len(i.body.text) > 1024 || len(i.body.text) < 1)
          p.push(`whatsapp interactive body ${len(i.body.text)}`);
        if (i.type === 'button') {
          const buttons = i.action.buttons;
          if (buttons.length > l.buttons) p.push('whatsapp > 3 buttons');
          const titles = buttons.map((b: Json) => b.reply.title);
          const ids = buttons.map((b: Json) => b.reply.id);
          if (titles.some((t: string) => len(t) < 1 || len(t) > l.buttonTitle))
            p.push('whatsapp button title length');
          if (new Set(titles).size !== titles.length) p.push('whatsapp duplicate button titles');
          if (ids.some((id: string) => len(id) < 1 || len(id) > 256)) p.push('whatsapp button id length');
          if (new Set(ids).size !== ids.length) p.push('whatsapp duplicate button ids');
        } else {
          const rows = i.action.sections.flatMap((s: Json) => s.rows);
          if (rows.length > 10) p.push('whatsapp > 10 rows');
          if (rows.some((r: Json) => len(r.title) < 1 || len(r.title) > 24))
            p.push('whatsapp row title length');
          if (rows.some((r: Json) => len(r.id) < 1 || len(r.id) > l.payload))
            p.push('whatsapp row id length');
          if (new Set(rows.map((r: Json) => r.id)).size !== rows.length) p.push('whatsapp duplicate row ids');
        }
      }
    },
  },
  messenger: {
    render: async (c) => renderMessenger(c),
    check: (messages, p) => {
      const l = limitsOf('messenger');
      for (const m of messages) {
        if (m.text !== undefined && (len(m.text) < 1 || len(m.text) > l.text))
          p.push(`messenger text ${len(m.text)}`);
        for (const q of m.quick_replies ?? []) {
          if (len(q.title) < 1 || len(q.title) > l.buttonTitle) p.push('messenger quick reply title');
          if (len(q.payload) > l.payload) p.push('messenger quick reply payload');
        }
        if ((m.quick_replies ?? []).length > l.quickReplies) p.push('messenger > 13 quick replies');
        const payload = m.attachment?.payload;
        if (payload?.template_type === 'button') {
          if (len(payload.text) > 640) p.push('messenger button template text');
          if (payload.buttons.length > l.buttons) p.push('messenger > 3 buttons');
        }
        if (payload?.template_type === 'generic') {
          if (payload.elements.length > l.cards) p.push('messenger > 10 elements');
          for (const e of payload.elements) {
            if (len(e.title) > 80 || len(e.subtitle) > 80) p.push('messenger element text');
            if ((e.buttons ?? []).length > l.buttons) p.push('messenger element > 3 buttons');
          }
        }
        for (const b of [
          ...(payload?.buttons ?? []),
          ...(payload?.elements ?? []).flatMap((e: Json) => e.buttons ?? []),
        ]) {
          if (len(b.title) < 1 || len(b.title) > l.buttonTitle) p.push('messenger button title');
          if (b.payload !== undefined && len(b.payload) > l.payload) p.push('messenger button payload');
        }
      }
    },
  },
  botframework: {
    render: async (c) => [renderActivity(c)],
    check: ([a], p) => {
      const l = limitsOf('botframework');
      if (len(a.text) > l.text) p.push('botframework text');
      if (a.attachmentLayout === 'carousel' && a.attachments.length > l.cards)
        p.push('botframework > 10 carousel cards');
      for (const card of a.attachments ?? []) {
        if ((card.content?.buttons ?? []).length > l.buttons) p.push('botframework > 6 card buttons');
      }
      const suggested = a.suggestedActions;
      if (suggested) {
        if ('to' in suggested && (suggested.to ?? []).length === 0)
          p.push('botframework suggestedActions to: []');
        if (suggested.actions.some((x: Json) => x.type !== 'imBack'))
          p.push('botframework suggested action not imBack');
      }
    },
  },
  slack: {
    render: async (c) => [renderSlack(c)].filter(Boolean),
    check: (messages, p) => {
      const l = limitsOf('slack');
      for (const m of messages) {
        if (len(m.text) > l.text) p.push('slack text');
        if ((m.blocks ?? []).length > 50) p.push('slack > 50 blocks');
        for (const block of m.blocks ?? []) {
          if (block.type === 'section' && len(block.text?.text) > 3000) p.push('slack section text');
          if (block.type === 'actions') {
            if (block.elements.length > 25) p.push('slack > 25 elements');
            for (const e of block.elements) {
              if (len(e.text?.text) < 1 || len(e.text?.text) > l.buttonTitle) p.push('slack button text');
              if (len(e.value) > l.payload) p.push('slack button value');
              if (len(e.action_id) > 255) p.push('slack action_id');
            }
          }
        }
      }
    },
  },
  'whatsapp-web': {
    render: async (c) => renderWaWeb(c),
    check: (texts, p) => {
      for (const t of texts) if (len(t) > limitsOf('whatsapp-web').text) p.push('whatsapp-web text');
    },
  },
};

/** What must be visible somewhere in the rendering: texts, titles, captions, URLs (first 8 characters). */
function atoms(content: Content): string[] {
  const button = (b: Button) => (b.type === 'url' ? [b.title, b.url] : [b.title]);
  switch (content.type) {
    case 'text':
      return [
        content.text,
        ...(content.buttons ?? []).flatMap(button),
        ...(content.quickReplies ?? []).map((q) => q.title),
      ];
    case 'media':
      return [content.url, content.caption ?? ''];
    case 'card':
      return content.cards.flatMap((c) => [
        c.title,
        c.subtitle ?? '',
        c.imageUrl ?? '',
        ...(c.buttons ?? []).flatMap(button),
      ]);
    case 'location':
      return [content.name ?? '', content.address ?? ''];
    default:
      return [];
  }
}

/** Markup characters and their entities are how each platform escapes; compare without them. */
function bare(s: string): string {
  let out = s;
  for (let before = ''; before !== out; ) {
    before = out;
    out = unescapeHtml(out);
  }
  return out.replace(/[&<>]/g, '');
}

function dropped(content: Content, out: Json[]): string[] {
  const haystack = bare(JSON.stringify(out));
  return atoms(content)
    .map((a) => [...bare(a).trim()].slice(0, 8).join('').trim())
    .filter((a) => a !== '' && !haystack.includes(JSON.stringify(a).slice(1, -1)));
}

async function problemsOf(channel: string, content: Content): Promise<string[]> {
  const { render, check } = channelsUnderTest[channel] as { render: Renderer; check: Checker };
  const out = await render(content);
  const problems: string[] = [];
  check(out, problems);
  for (const missing of dropped(content, out)) problems.push(`${channel} dropped "${missing}"`);
  return problems;
}

// ---------------------------------------------------------------------------------------
// Arbitrary content

const word = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }),
  fc.constantFrom(
    '😀👍🏽',
    '<b>',
    '&amp;',
    '*bold*',
    '_x_',
    '`code`',
    '<!channel>',
    'مرحبا',
    'שלום',
    '\u202Eevil',
    '[a](b)',
    '\\',
  ),
);
const textOf = (max: number) =>
  fc.array(word, { minLength: 1, maxLength: max }).map((w) => w.join(' ').trim() || 'x');
const title = textOf(6).map((t) => [...t].slice(0, 40).join('') || 'x');
const payload = fc.oneof(fc.string({ maxLength: 260 }), fc.constant(''), fc.constant('p'.repeat(241)));
const url = fc.constantFrom(
  'https://example.com/a.png',
  'https://shop.example/p?id=1&x=2',
  'https://example.org/file.pdf',
);
const postback: fc.Arbitrary<PostbackButton> = fc.record({
  type: fc.constant('postback' as const),
  title,
  payload,
});
const buttonArb: fc.Arbitrary<Button> = fc.oneof(
  { weight: 4, arbitrary: postback },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('url' as const), title, url }) },
);
const cardArb: fc.Arbitrary<Card> = fc.record(
  { title, subtitle: textOf(8), imageUrl: url, buttons: fc.array(buttonArb, { maxLength: 4 }) },
  { requiredKeys: ['title'] },
);
const contentArb: fc.Arbitrary<Content> = fc.oneof(
  fc.record(
    {
      type: fc.constant('text' as const),
      text: fc.oneof(textOf(20), textOf(900)),
      buttons: fc.array(buttonArb, { maxLength: 12 }),
      quickReplies: fc.array(postback, { maxLength: 14 }),
    },
    { requiredKeys: ['type', 'text'] },
  ),
  fc.record(
    {
      type: fc.constant('media' as const),
      kind: fc.constantFrom('image' as const, 'file' as const, 'audio' as const, 'video' as const),
      url,
      caption: fc.oneof(textOf(10), textOf(300)),
    },
    { requiredKeys: ['type', 'kind', 'url'] },
  ),
  fc.record({
    type: fc.constant('card' as const),
    cards: fc.array(cardArb, { minLength: 1, maxLength: 12 }),
  }),
  fc.record(
    {
      type: fc.constant('location' as const),
      latitude: fc.double({ min: -90, max: 90, noNaN: true }),
      longitude: fc.double({ min: -180, max: 180, noNaN: true }),
      name: title,
      address: textOf(6),
    },
    { requiredKeys: ['type', 'latitude', 'longitude'] },
  ),
);

const CHANNELS = Object.keys(channelsUnderTest);

test.each(CHANNELS)(
  '%s: random content always renders within the limits, nothing dropped',
  async (channel) => {
    await fc.assert(
      fc.asyncProperty(contentArb, async (content) => {
        const problems = await problemsOf(channel, content);
        if (problems.length > 0) throw new Error(problems.slice(0, 5).join('\n'));
      }),
      { seed: 4242, numRuns: 150 },
    );
  },
);

// ---------------------------------------------------------------------------------------
// The fixed suite: channel × content

const pb = (n: number, t = (i: number) => `Option ${i}`, p = (i: number) => `opt_${i}`): PostbackButton[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'postback', title: t(i + 1), payload: p(i + 1) }));
const forty = (i: number) => `${'A very long button title number'} ${i} padded`.padEnd(40, '.').slice(0, 40);
const SUITE: Record<string, Content> = {
  '5,000-character text': { type: 'text', text: 'Lorem ipsum dolor sit amet. '.repeat(179).slice(0, 5000) },
  '11 buttons': { type: 'text', text: 'Pick one', buttons: pb(11) },
  '40-character titles': { type: 'text', text: 'Pick', buttons: pb(3, forty) },
  '40-character titles, 10 of them': { type: 'text', text: 'Pick', quickReplies: pb(10, forty) },
  '241-character payloads': {
    type: 'text',
    text: 'Pick',
    buttons: pb(3, undefined, (i) => `${i}`.padEnd(241, 'x')),
  },
  '241-character payloads in a list': {
    type: 'text',
    text: 'Pick',
    buttons: pb(7, undefined, (i) => `${i}`.padEnd(241, 'x')),
  },
  'empty payloads': { type: 'text', text: 'Pick', buttons: pb(3, undefined, () => '') },
  '12-card carousel': {
    type: 'card',
    cards: Array.from({ length: 12 }, (_, i) => ({
      title: `Product ${i + 1}`,
      subtitle: `€${i + 10}`,
      imageUrl: `https://shop.example/p${i + 1}.png`,
      buttons: [{ type: 'postback', title: `Buy ${i + 1}`, payload: `buy_${i + 1}` }],
    })),
  },
  'a card with an image and 4 buttons': {
    type: 'card',
    cards: [
      {
        title: 'Blue shoes',
        subtitle: 'Size 42',
        imageUrl: 'https://shop.example/shoes.png',
        buttons: pb(4),
      },
    ],
  },
  '1,500-character caption': {
    type: 'media',
    kind: 'image',
    url: 'https://shop.example/big.png',
    caption: 'A caption that goes on. '.repeat(63).slice(0, 1500),
  },
  '14 quick replies': { type: 'text', text: 'How was it?', quickReplies: pb(14) },
  emoji: {
    type: 'text',
    text: '👍🏽 thanks 😀'.repeat(400),
    buttons: pb(3, (i) => `👍🏽😀 ${i} 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉`),
  },
  'markup characters': {
    type: 'text',
    text: '<b>bold</b> *not bold* _x_ `code` <!channel> <@U0EVIL> &amp; <https://evil.example|Support>',
    buttons: pb(2, (i) => `<i>${i}</i> & *x*`),
  },
  RTL: {
    type: 'text',
    text: 'مرحبا! كيف يمكنني مساعدتك؟ שלום \u202Eevil',
    quickReplies: pb(3, (i) => `خيار ${i}`),
  },
};

test('the limits suite: every channel × content, 0 violations, nothing dropped', async () => {
  const report: string[] = [];
  for (const channel of CHANNELS) {
    for (const [name, content] of Object.entries(SUITE)) {
      for (const problem of await problemsOf(channel, content))
        report.push(`${channel} × ${name}: ${problem}`);
    }
  }
  expect(report).toEqual([]);
});
