/**
 * The desk's pure pieces: Slack text → what a customer reads, the resolve command's
 * arguments, which slots a resumed flow step needs, transcript lines for media.
 */
import { parseResolveArgs, slackToPlain, transcriptLine } from '../../adapters/slack/operator-desk';
import { slotsNeededFrom } from '../../src/desk/desk';
import type { FlowDefinition } from '../../src/flows/types';
import type { Message } from '../../src/model';

test('slackToPlain unwraps links, mentions and entities, without double spaces', () => {
  expect(slackToPlain('See <https://x.example/a|the guide> &amp; <https://y.example>')).toBe(
    'See the guide (https://x.example/a) & https://y.example',
  );
  expect(slackToPlain('thanks <@U0GRACE001> for the help')).toBe('thanks for the help');
  expect(slackToPlain('ask <@U0GRACE001|grace> in <#C0123|support> &lt;3')).toBe('ask @grace in #support <3');
  expect(slackToPlain('It is *on its way* :truck: _today_, not ~tomorrow~ :smile: :unknown_one:')).toBe(
    'It is on its way 🚚 today, not tomorrow 😄 :unknown_one:',
  );
  // Not formatting: arithmetic, snake_case, a lone star.
  expect(slackToPlain('2 * 3 = 6 for order_id ORD_1 *')).toBe('2 * 3 = 6 for order_id ORD_1 *');
});

test('parseResolveArgs: a conversation, a flow step to resume and slot values', () => {
  expect(parseResolveArgs([])).toEqual({});
  expect(parseResolveArgs(['cnv_1', 'resume=returns.lookup', 'order_id=ORD-10002'])).toEqual({
    ref: 'cnv_1',
    resume: { flow: 'returns', step: 'lookup', values: { order_id: 'ORD-10002' } },
  });
  expect(parseResolveArgs(['order_id=1'])).toEqual({ error: 'Slot values need resume=<flow>.<step>.' });
  expect(parseResolveArgs(['a', 'b'])).toMatchObject({ error: expect.stringMatching(/Unexpected "b"/) });
});

test('slotsNeededFrom: what the steps from there on read before any of them sets it', () => {
  const flow = {
    id: 'returns',
    order: ['ask_order', 'lookup', 'ask_item', 'confirm'],
    steps: {
      ask_order: { ask: 'Which order?', slot: 'order_id' },
      lookup: { call: 'lookup_order', with: { order_id: '{{slots.order_id}}' }, result: 'order' },
      ask_item: { ask: 'Which item of {{slots.order.id}}?', slot: 'item' },
      confirm: { say: 'Return {{slots.item}} from {{slots.order.id}}' },
    },
  } as unknown as FlowDefinition;
  expect(slotsNeededFrom(flow, 'ask_order')).toEqual([]);
  expect(slotsNeededFrom(flow, 'lookup')).toEqual(['order_id']);
  expect(slotsNeededFrom(flow, 'ask_item')).toEqual(['order']);
  expect(slotsNeededFrom(flow, 'confirm').sort()).toEqual(['item', 'order']);
});

test('a media message links where Slack can open it, and says so where it cannot', () => {
  const base = { author: 'customer', channel: 'telegram', text: '[image] the vase' } as Message;
  const http = transcriptLine({
    ...base,
    content: { type: 'media', kind: 'image', url: 'https://cdn.example/v.jpg', caption: 'the vase' },
  } as Message);
  expect(http).toContain('<https://cdn.example/v.jpg|[image] file>');
  const stored = transcriptLine({
    ...base,
    content: { type: 'media', kind: 'image', url: 'tg-file:AgACAgQAAx', caption: 'the vase' },
  } as Message);
  expect(stored).not.toContain('tg-file:');
  expect(stored).toContain('kept on telegram, not viewable from Slack');
});
