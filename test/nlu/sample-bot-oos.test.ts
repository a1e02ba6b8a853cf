/**
 * The sample shop bot (intents/ at the repo root) with its `out_of_scope:` list
 * (intents/out_of_scope.yml): off-topic questions get no intent, shop questions still do.
 * The off-topic questions here are not in that list (nor close rewordings of it), so this checks
 * that the negative class generalises rather than memorises.
 */
import path from 'node:path';
import { loadIntents, NluEngine } from '../../src/nlu';

const intentsDir = path.resolve(__dirname, '..', '..', 'intents');

const offTopic = [
  'who wrote the lord of the rings',
  'how far away is the moon',
  'what year did world war two end',
  'can you find me a flat to rent in munich',
  'i want to buy a plane ticket to new york',
  'how hot will it be on friday',
  'say something funny',
  'what is your opinion on pineapple pizza',
  'how do i fix a null pointer exception in java',
  'my tooth hurts what should i do',
  'who is the best tennis player ever',
  'what is the square root of 144',
  'explain photosynthesis to me',
  'how do i boil an egg',
  'which phone should i buy this year',
];

const inScope: [string, string][] = [
  ['wher is my ordr', 'order_status'],
  ['do you ship to canada', 'international_shipping'],
  ['how much is delivery', 'shipping_costs'],
  ['my package is late', 'order_status'],
  ['i want to return my shoes', 'start_return'],
  ['has my parcel been sent yet', 'order_status'],
  ['can i pay with visa', 'payment_methods'],
  ['i need to talk to a real person', 'human'],
  ['when are you open on saturday', 'opening_hours'],
  ['is the green jumper in stock', 'product_availability'],
];

describe('the sample bot with out-of-scope examples', () => {
  let engine: NluEngine;
  let offTopicExamples: string[];
  beforeAll(async () => {
    const set = await loadIntents(intentsDir);
    offTopicExamples = set.outOfScope ?? [];
    engine = await NluEngine.train(set);
  });

  it('trains its out_of_scope list as a negative class', () => {
    expect(offTopicExamples.length).toBeGreaterThanOrEqual(30);
    expect(engine.hasNegativeClass).toBe(true);
    for (const text of offTopic) expect(offTopicExamples).not.toContain(text);
  });

  it('rejects most off-topic questions it was not trained on', () => {
    const answered = offTopic.filter((text) => engine.parse(text).intent !== null);
    // 15 / 15 when written; allow a little room for changes to the shop's intents.
    expect(answered.length).toBeLessThanOrEqual(2);
  });

  it.each(inScope)('still answers %j (%s)', (text, intent) => {
    const result = engine.parse(text);
    expect(result.intent).toBe(intent);
  });
});
