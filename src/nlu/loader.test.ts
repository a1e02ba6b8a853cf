import path from 'node:path';
import { SourceFileError, type SourceProblem } from '../errors';
import { loadIntents } from './loader';

const fixtures = path.join(__dirname, '..', '..', 'test', 'fixtures', 'intents');

async function problemsOf(folder: string): Promise<SourceProblem[]> {
  const dir = path.join(fixtures, folder);
  try {
    await loadIntents(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(SourceFileError);
    expect((error as SourceFileError).code).toBe('SB_INTENTS_INVALID');
    return (error as SourceFileError).problems.map((p) => ({ ...p, file: path.relative(dir, p.file) }));
  }
  throw new Error(`${folder} loaded without errors`);
}

const at = (p: SourceProblem) => `${p.file}:${p.line}:${p.column}`;

describe('loadIntents', () => {
  it('loads every file of a folder into one sorted set with entities, answers and a content hash', async () => {
    const set = await loadIntents(path.join(fixtures, 'valid'));
    expect(set.language).toBe('en');
    expect(set.intents.map((i) => i.name)).toEqual([
      'cancel_order',
      'change_delivery',
      'contact_human',
      'greeting',
      'opening_hours',
      'order_status',
      'payment_methods',
      'product_availability',
      'refund_status',
      'return_item',
      'shipping_cost',
      'thanks',
    ]);
    const hours = set.intents.find((i) => i.name === 'opening_hours');
    expect(hours).toMatchObject({ answers: ["We're open Monday to Friday, 9:00–18:00."], line: 2 });
    expect(hours?.file).toMatch(/faq\.yml$/);
    expect(set.intents.find((i) => i.name === 'order_status')?.entities).toEqual(['order_number']);
    expect(set.entities.map((e) => [e.name, e.kind])).toEqual([
      ['delivery_date', 'builtin'],
      ['order_number', 'regex'],
      ['product', 'list'],
    ]);
    expect(set.entities.find((e) => e.name === 'product')).toMatchObject({
      fuzzy: true,
      values: [
        { value: 'shoes', synonyms: ['sneakers', 'trainers', 'running shoes'] },
        { value: 'bag', synonyms: ['handbag', 'purse', 'backpack'] },
        { value: 'jacket', synonyms: ['coat', 'parka'] },
      ],
    });
    expect(set.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await loadIntents(path.join(fixtures, 'valid'))).hash).toBe(set.hash);
  });

  it('reports bad YAML with its position', async () => {
    const problems = await problemsOf('bad-yaml');
    expect(problems).toHaveLength(1);
    expect(at(problems[0] as SourceProblem)).toBe('intents.yml:7:1');
    expect(problems[0]?.message).toMatch(/^invalid YAML: /);
    expect(problems[0]?.hint).toBeDefined();
  });

  it('reports an intent declared in two files at the second one, pointing back to the first', async () => {
    const problems = await problemsOf('duplicate-intent');
    expect(problems.map(at)).toEqual(['b.yml:4:3']);
    expect(problems[0]?.message).toBe("intent 'greeting' is declared twice");
    expect(problems[0]?.hint).toMatch(/a\.yml:2/);
  });

  it('reports an unknown entity at the reference and lists the known ones', async () => {
    const problems = await problemsOf('unknown-entity');
    expect(problems.map(at)).toEqual(['intents.yml:6:30']);
    expect(problems[0]?.message).toBe("intent 'order_status' uses unknown entity 'tracking_code'");
    expect(problems[0]?.hint).toContain('order_number');
  });

  it('reports intents without examples, every one of them', async () => {
    const problems = await problemsOf('no-examples');
    expect(problems.map((p) => `${at(p)} ${p.message}`)).toEqual([
      "intents.yml:5:5 intent 'goodbye' has no examples",
      "intents.yml:7:15 intent 'thanks' has no examples",
    ]);
  });

  it('reports wrong types, unknown keys and bad values, in file order', async () => {
    const problems = await problemsOf('wrong-types');
    expect(problems.map((p) => `${at(p)} ${p.message}`)).toEqual([
      "intents.yml:1:11 language 'english' is not an ISO 639-1 code",
      "intents.yml:3:11 entity 'colour': must have property regex when property caseSensitive is present",
      "intents.yml:6:15 intent 'greeting' examples must be a list",
      "intents.yml:7:5 unknown key 'answer' in intent 'greeting'",
      "intents.yml:9:24 example 2 of intent 'thanks' must be a string",
    ]);
    expect(problems[3]?.hint).toBe('allowed keys: examples, answers, entities');
  });

  it('reports an invalid regex once, without a cascade of unknown-entity errors', async () => {
    const problems = await problemsOf('bad-regex');
    expect(problems.map(at)).toEqual(['intents.yml:2:26']);
    expect(problems[0]?.message).toMatch(/^entity 'order_number': invalid regex/);
  });

  it('reports a missing folder as one problem', async () => {
    await expect(loadIntents(path.join(fixtures, 'does-not-exist'))).rejects.toThrow(
      /cannot read the intents folder/,
    );
  });
});
