/** Renderer degradations the end-to-end tests do not reach: carousels, long texts, big menus, captions. */
import type { Card, PostbackButton } from '../../../src/model';
import { offeredButtons } from '../../../src/model';
import { renderMessenger } from '../../../adapters/messenger/render';
import { renderWhatsApp } from '../../../adapters/whatsapp/render';
import { renderWaWeb } from '../../../adapters/whatsapp-web/render';

const buttons = (n: number): PostbackButton[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'postback', title: `Choice ${i + 1}`, payload: `c${i + 1}` }));

test('Messenger: cards become a generic template; more than 13 choices a numbered menu in offeredButtons order', () => {
  const cards: Card[] = [
    { title: 'Blue mug', subtitle: '€12', imageUrl: 'http://127.0.0.1/mug.png', buttons: buttons(2) },
    { title: 'Red mug', buttons: [{ type: 'url', title: 'Details', url: 'http://127.0.0.1/red' }] },
  ];
  expect(renderMessenger({ type: 'card', cards })).toEqual([
    {
      attachment: {
        type: 'template',
        payload: {
          template_type: 'generic',
          elements: [
            {
              title: 'Blue mug',
              subtitle: '€12',
              image_url: 'http://127.0.0.1/mug.png',
              buttons: [
                { type: 'postback', title: 'Choice 1', payload: 'c1' },
                { type: 'postback', title: 'Choice 2', payload: 'c2' },
              ],
            },
            {
              title: 'Red mug',
              buttons: [{ type: 'web_url', title: 'Details', url: 'http://127.0.0.1/red' }],
            },
          ],
        },
      },
    },
  ]);
  const content = {
    type: 'text' as const,
    text: 'Pick',
    buttons: buttons(4),
    quickReplies: buttons(14).slice(4),
  };
  const [menu] = renderMessenger(content);
  const lines = String(menu?.text).split('\n');
  offeredButtons(content).forEach((b, i) => {
    expect(lines).toContain(`${i + 1}. ${b.title}`);
  });
});

test('Messenger: long text is split at 2000 characters; a captioned image is followed by its caption', () => {
  const parts = renderMessenger({ type: 'text', text: `${'a'.repeat(1500)}\n${'b'.repeat(1500)}` });
  expect(parts.map((p) => String(p.text).length)).toEqual([1500, 1500]);
  expect(
    renderMessenger({ type: 'media', kind: 'file', url: 'http://127.0.0.1/f.pdf', caption: 'Invoice' }),
  ).toEqual([
    { attachment: { type: 'file', payload: { url: 'http://127.0.0.1/f.pdf', is_reusable: true } } },
    { text: 'Invoice' },
  ]);
});

test('WhatsApp: titles are cut to the limits; audio captions follow as text; one card’s picture is the header', () => {
  const [interactive] = renderWhatsApp({
    type: 'text',
    text: 'Which?',
    buttons: [{ type: 'postback', title: 'A very long button title indeed', payload: 'x' }],
  });
  expect(interactive).toMatchObject({
    interactive: { action: { buttons: [{ reply: { id: 'x', title: 'A very long button…' } }] } },
  });
  expect(
    renderWhatsApp({ type: 'media', kind: 'audio', url: 'http://127.0.0.1/a.ogg', caption: 'Listen' }),
  ).toEqual([
    { type: 'audio', audio: { link: 'http://127.0.0.1/a.ogg' } },
    { type: 'text', text: { preview_url: false, body: 'Listen' } },
  ]);
  const [card] = renderWhatsApp({
    type: 'card',
    cards: [{ title: 'Blue mug', imageUrl: 'http://127.0.0.1/mug.png', buttons: buttons(2) }],
  });
  expect(card).toMatchObject({
    type: 'interactive',
    interactive: { type: 'button', header: { type: 'image', image: { link: 'http://127.0.0.1/mug.png' } } },
  });
});

test('WhatsApp Web: every button offer is a numbered menu; links are listed, not numbered', () => {
  expect(
    renderWaWeb({
      type: 'text',
      text: 'Help?',
      buttons: [...buttons(2), { type: 'url', title: 'FAQ', url: 'http://127.0.0.1/faq' }],
    }),
  ).toEqual(['Help?\n\n1. Choice 1\n2. Choice 2\n\nReply with a number.\nFAQ: http://127.0.0.1/faq']);
});
