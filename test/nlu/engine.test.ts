import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createIntentSet, loadIntents, NluEngine } from '../../src/nlu';

const bot = path.join(__dirname, '..', 'fixtures', 'intents', 'valid');

describe('NluEngine on a small shop bot (12 intents, 7–10 examples each)', () => {
  let engine: NluEngine;
  beforeAll(async () => {
    engine = await NluEngine.train(await loadIntents(bot));
  });

  it.each([
    ['Where is my ordr ORD-12345??', 'order_status'],
    ['I want to send back the sneekers', 'return_item'],
    ['can you deliver TOMORROW at 5', 'change_delivery'],
    ['when do you open on saturday', 'opening_hours'],
    ['let me talk to a real human please', 'contact_human'],
    ['do you accept paypal', 'payment_methods'],
    ['my refund still has not arrived', 'refund_status'],
    ['cancel ORD-77777 please', 'cancel_order'],
    ['is the purse available in red', 'product_availability'],
    ['how much for shipping to austria', 'shipping_cost'],
    ['thanks so much!', 'thanks'],
  ])('understands %j as %s', (text, intent) => {
    const result = engine.parse(text);
    expect(result.intent).toBe(intent);
    expect(result.confidence).toBeGreaterThanOrEqual(engine.threshold);
    expect(result.ranking[0]?.intent).toBe(intent);
  });

  it('says "out of scope" rather than guess', () => {
    for (const text of ['asdfgh qwerty', 'play some music', '🙂']) {
      const result = engine.parse(text);
      expect(result.intent).toBeNull();
      expect(result.confidence).toBeLessThan(engine.threshold);
    }
  });

  it('is less confident about unrelated questions than about related ones', () => {
    const unrelated = [
      'what is the capital of france',
      'how do i bake a chocolate cake',
      'who won the world cup in 2018',
    ];
    const related = ['has my parcel shipped', 'do you take visa', 'i need to return a coat'];
    const max = Math.max(...unrelated.map((t) => engine.parse(t).confidence));
    const min = Math.min(...related.map((t) => engine.parse(t).confidence));
    expect(max).toBeLessThan(min);
  });

  it('returns entities and sentiment with the intent', () => {
    const result = engine.parse('Cancel ORD-55555, the sneakers are TERRIBLE', {
      referenceDate: new Date(2024, 0, 1),
    });
    expect(result.intent).toBe('cancel_order');
    expect(result.entities.map((e) => [e.entity, e.value])).toEqual([
      ['order_number', 'ORD-55555'],
      ['product', 'shoes'],
    ]);
    expect(result.sentiment.label).toBe('negative');
    expect(engine.extractEntities('ORD-55555 and 3 bags', ['number'])).toEqual([
      { entity: 'number', kind: 'number', value: 3, text: '3', start: 14, end: 15 },
    ]);
  });

  it('has a threshold calibrated on cross-validation folds of its own examples', () => {
    expect(engine.calibration.heldOut).toBeGreaterThan(50);
    expect(engine.threshold).toBeGreaterThan(0);
    expect(engine.threshold).toBeLessThan(1);
  });
});

describe('training cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sb-nlu-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains once, then loads the same model by content hash', async () => {
    const set = await loadIntents(bot);
    const sources: string[] = [];
    const first = await NluEngine.train(set, { cacheDir: dir, onModel: (s) => sources.push(s) });
    const second = await NluEngine.train(set, { cacheDir: dir, onModel: (s) => sources.push(s) });
    expect(sources).toEqual(['trained', 'cache']);
    expect(await readdir(dir)).toHaveLength(1);
    expect(second.threshold).toBe(first.threshold);
    for (const text of ['where is my order', 'do you take paypal', 'play some music']) {
      expect(second.parse(text)).toEqual(first.parse(text));
    }
    // Changed content → new hash → retrain.
    const changed = { ...set, intents: set.intents.slice(1), hash: `${set.hash}x` };
    await NluEngine.train(changed, { cacheDir: dir, onModel: (s) => sources.push(s) });
    expect(sources).toEqual(['trained', 'cache', 'trained']);
  });

  it('treats a corrupt cache file as a miss', async () => {
    const set = await loadIntents(bot);
    await NluEngine.train(set, { cacheDir: dir });
    const [file] = await readdir(dir);
    await writeFile(path.join(dir, file as string), 'garbage');
    const sources: string[] = [];
    const engine = await NluEngine.train(set, { cacheDir: dir, onModel: (s) => sources.push(s) });
    expect(sources).toEqual(['trained']);
    expect(engine.parse('where is my order').intent).toBe('order_status');
  });

  it('applies a threshold override without retraining', async () => {
    const set = await loadIntents(bot);
    await NluEngine.train(set, { cacheDir: dir });
    const strict = await NluEngine.train(set, { cacheDir: dir, threshold: 0.999 });
    expect(strict.threshold).toBe(0.999);
    expect(strict.parse('hello there').intent).toBeNull();
  });
});

// The background corpus off (it is tested in background.test.ts): these check the bot's own list.
describe('out-of-scope examples trained as a negative class', () => {
  const offTopic = [
    'what is the weather like in madrid',
    'will it be sunny on the weekend',
    'tell me a funny story',
    'who won the tennis final',
    'how do i learn to code in javascript',
    'what is a good recipe for pancakes',
    'recommend a podcast about history',
    'how many moons does jupiter have',
  ];
  // Each of these gets an intent without the negative class (checked below).
  const probes = [
    'is it going to be sunny in madrid tomorrow',
    'what is the weather in rome',
    'how do i learn python',
  ];
  let plain: NluEngine;
  let guarded: NluEngine;
  beforeAll(async () => {
    const set = await loadIntents(bot);
    plain = await NluEngine.train(set, { background: false });
    guarded = await NluEngine.train(
      createIntentSet(
        set.intents.flatMap((i) => i.examples.map((text) => ({ text, intent: i.name }))),
        { entities: set.entities, outOfScope: offTopic },
      ),
      { background: false },
    );
  });

  it('rejects messages closer to the negatives than to any intent, with a confidence below the threshold', () => {
    expect(plain.hasNegativeClass).toBe(false);
    expect(guarded.hasNegativeClass).toBe(true);
    expect(guarded.intents).toEqual(plain.intents); // the negative class is never an intent
    for (const text of probes) {
      expect(plain.parse(text).intent).not.toBeNull();
      const result = guarded.parse(text);
      expect(result.intent).toBeNull();
      expect(result.confidence).toBeLessThan(guarded.threshold);
      expect(result.ranking.map((r) => r.intent)).not.toContain('out_of_scope');
    }
  });

  it('answers in-scope messages as before', () => {
    for (const [text, intent] of [
      ['Where is my ordr ORD-12345??', 'order_status'],
      ['I want to send back the sneekers', 'return_item'],
      ['when do you open on saturday', 'opening_hours'],
      ['do you accept paypal', 'payment_methods'],
      ['how much for shipping to austria', 'shipping_cost'],
      ['thanks so much!', 'thanks'],
    ]) {
      expect(plain.parse(text as string).intent).toBe(intent);
      expect(guarded.parse(text as string).intent).toBe(intent);
    }
  });

  it('keeps the negative class through the cache, and retrains when the list changes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-nlu-'));
    try {
      const set = await loadIntents(bot);
      const withNegatives = { ...set, outOfScope: offTopic, hash: `${set.hash}-oos` };
      const sources: string[] = [];
      const onModel = (s: string) => sources.push(s);
      const first = await NluEngine.train(withNegatives, { cacheDir: dir, onModel, background: false });
      const second = await NluEngine.train(withNegatives, { cacheDir: dir, onModel, background: false });
      expect(second.hasNegativeClass).toBe(true);
      for (const text of [...probes, 'where is my order'])
        expect(second.classify(text)).toEqual(first.classify(text));
      await NluEngine.train(
        { ...withNegatives, outOfScope: offTopic.slice(1) },
        { cacheDir: dir, onModel, background: false },
      );
      // The background corpus is part of the model: switching it on is another model.
      await NluEngine.train(withNegatives, { cacheDir: dir, onModel });
      expect(sources).toEqual(['trained', 'cache', 'trained', 'trained']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
