/**
 * The background corpus: generic off-topic messages trained into every bot's negative class, so a
 * tiny bot with no `out_of_scope:` list still refuses unrelated questions. The off-topic messages
 * below are not in the corpus (checked), so this tests generalisation, not memory.
 */
import { createIntentSet, NluEngine } from '../../src/nlu';
import { backgroundFor, filterBackground } from '../../src/nlu/background';
import { negativeExamples } from '../../src/nlu/engine';

// A tiny bike-repair shop: 4 intents × 6 examples, no out_of_scope list, no validation data.
const examples: Record<string, string[]> = {
  book_service: [
    'i want to book a service for my bike',
    'can i bring my bicycle in for a tune up',
    'book a repair appointment',
    'my bike needs a service next week',
    'schedule a bike check',
    'when can you look at my bike',
  ],
  flat_tyre: [
    'i have a flat tyre',
    'my inner tube has a puncture',
    'can you fix a flat',
    'the back wheel keeps losing air',
    'how much to replace a tube',
    'my tire is flat again',
  ],
  opening_hours: [
    'when are you open',
    'what are your opening hours',
    'are you open on sunday',
    'what time do you close today',
    'is the shop open now',
    'until when are you open tonight',
  ],
  buy_bike: [
    'do you sell electric bikes',
    'i want to buy a new bike',
    'what mountain bikes do you have',
    'how much is a city bike',
    'can i test ride a bike before buying',
    'do you have kids bikes',
  ],
};
const set = createIntentSet(
  Object.entries(examples).flatMap(([intent, texts]) => texts.map((text) => ({ text, intent }))),
);

const offTopic = [
  'who painted the sistine chapel ceiling',
  'what is the boiling point of mercury',
  'write a limerick about a frog',
  'how do i convert a string to an integer in swift',
  'what do you think about modern jazz',
  'how do volcanoes erupt',
  'recommend a documentary about sharks',
  'how many players are in a water polo team',
  'what is the capital of bolivia',
  'how do i cure a hangover',
];
const paraphrases: [string, string][] = [
  ['could you service my bike on friday', 'book_service'],
  ['i got a puncture in my back wheel', 'flat_tyre'],
  ['are you open on saturday morning', 'opening_hours'],
  ['do you sell e bikes', 'buy_bike'],
  ['my front tyre is flat', 'flat_tyre'],
  ['what time do you open tomorrow', 'opening_hours'],
];

describe('the background corpus', () => {
  let withBackground: NluEngine;
  let without: NluEngine;
  beforeAll(async () => {
    withBackground = await NluEngine.train(set);
    without = await NluEngine.train(set, { background: false });
  });

  it('the off-topic test messages are not in the corpus', () => {
    const corpus = new Set(backgroundFor('en'));
    expect(corpus.size).toBeGreaterThan(1000);
    for (const text of offTopic) expect(corpus.has(text)).toBe(false);
  });

  it('a tiny bot with no out_of_scope list rejects unrelated questions', () => {
    expect(withBackground.hasNegativeClass).toBe(true);
    expect(without.hasNegativeClass).toBe(false);
    const answered = (engine: NluEngine) => offTopic.filter((text) => engine.parse(text).intent !== null);
    expect(answered(withBackground)).toEqual([]);
    // Without the corpus the same bot answers several of them with one of its four intents.
    expect(answered(without).length).toBeGreaterThanOrEqual(3);
  });

  it('still answers its own paraphrases', () => {
    for (const [text, intent] of paraphrases) {
      const result = withBackground.parse(text);
      expect({ text, intent: result.intent }).toEqual({ text, intent });
      expect(result.confidence).toBeGreaterThanOrEqual(withBackground.threshold);
    }
  });

  it('drops corpus lines that say what one of the bot’s examples says', () => {
    const corpus = backgroundFor('en');
    expect(corpus).toContain('do i need a visa for japan');
    const travel = ['do i need a visa to visit japan', 'which countries need a visa'];
    const kept = filterBackground(corpus, travel, 'en', 0.5);
    expect(kept).not.toContain('do i need a visa for japan');
    expect(kept.length).toBeGreaterThan(corpus.length - 20);
    // The engine's negatives are the bot's own list first, then the filtered corpus.
    const bot = createIntentSet(
      travel.map((text) => ({ text, intent: 'visa' })),
      { outOfScope: ['book me a table'] },
    );
    const negatives = negativeExamples(bot);
    expect(negatives[0]).toBe('book me a table');
    expect(negatives).not.toContain('do i need a visa for japan');
  });

  it('languages without a corpus train without one', async () => {
    expect(backgroundFor('de')).toEqual([]);
    const german = createIntentSet(
      [
        { text: 'wo ist meine bestellung', intent: 'status' },
        { text: 'wann kommt mein paket', intent: 'status' },
        { text: 'ich möchte zurückgeben', intent: 'retoure' },
        { text: 'wie schicke ich etwas zurück', intent: 'retoure' },
      ],
      { language: 'de' },
    );
    expect((await NluEngine.train(german)).hasNegativeClass).toBe(false);
  });

  it('self-calibration is deterministic: the same bot trains the same threshold and answers', async () => {
    const again = await NluEngine.train(set);
    expect(again.calibration).toEqual(withBackground.calibration);
    for (const text of [...offTopic, ...paraphrases.map(([t]) => t)])
      expect(again.classify(text)).toEqual(withBackground.classify(text));
  });
});
