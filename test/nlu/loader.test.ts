import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SourceFileError, type SourceProblem } from '../../src/errors';
import { loadIntents } from '../../src/nlu/loader';

const fixtures = path.join(__dirname, '..', 'fixtures', 'intents');

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
    expect(problems[3]?.hint).toBe("did you mean 'answers'? allowed keys: examples, answers, entities");
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

describe('out_of_scope: examples the bot must not answer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sb-oos-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(files: Record<string, string>) {
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return loadIntents(dir);
  }
  async function problems(files: Record<string, string>): Promise<string[]> {
    try {
      await load(files);
    } catch (error) {
      expect(error).toBeInstanceOf(SourceFileError);
      return (error as SourceFileError).problems.map(
        (p) => `${path.relative(dir, p.file) || '.'}:${p.line}:${p.column} ${p.message}`,
      );
    }
    throw new Error('loaded without errors');
  }

  const intents = 'intents:\n  greet:\n    examples: [hi, hello]\n';

  it('merges the lists of every file in file order, in a file of its own or next to intents', async () => {
    const set = await load({
      'a.yml': `${intents}out_of_scope:\n  - tell me about the weather\n`,
      'b.yml':
        'out_of_scope:\n  - who won the match\n  - Tell me about the weather!\n  - how do i cook rice\n',
    });
    expect(set.intents.map((i) => i.name)).toEqual(['greet']);
    // The repeat (same words, other case and punctuation) is kept once.
    expect(set.outOfScope).toEqual(['tell me about the weather', 'who won the match', 'how do i cook rice']);
  });

  it('allows an empty list and changes the content hash only when the list does', async () => {
    const plain = await load({ 'a.yml': intents });
    await writeFile(path.join(dir, 'b.yml'), 'out_of_scope: []\n');
    const empty = await loadIntents(dir);
    expect(empty.outOfScope).toEqual([]);
    expect(empty.hash).toBe(plain.hash);
    await writeFile(path.join(dir, 'b.yml'), 'out_of_scope: [what time is it in lima]\n');
    expect((await loadIntents(dir)).hash).not.toBe(plain.hash);
  });

  it('reserves the name: no intent may be called out_of_scope', async () => {
    expect(
      await problems({ 'a.yml': `${intents}  out_of_scope:\n    examples: [what is the weather]\n` }),
    ).toEqual(["a.yml:4:3 'out_of_scope' is reserved and cannot be an intent"]);
  });

  it('reports wrong types, an example that is also an intent example, and a bot without intents', async () => {
    expect(
      await problems({
        'a.yml': `${intents}out_of_scope:\n  - fine\n  - 42\n  - ''\n`,
        'b.yml': 'out_of_scope: who won the match\n',
      }),
    ).toEqual([
      'a.yml:6:5 out-of-scope example 2 must be a string',
      'a.yml:7:5 out-of-scope example 3 is an empty string',
      'b.yml:1:15 out_of_scope must be a list',
    ]);
    await rm(path.join(dir, 'b.yml'));
    expect(
      await problems({ 'a.yml': intents, 'c.yml': 'out_of_scope:\n  - what is the time\n  - HELLO!\n' }),
    ).toEqual([`c.yml:3:5 out-of-scope example "HELLO!" is also an example of intent 'greet'`]);
    await rm(path.join(dir, 'c.yml'));
    expect(await problems({ 'a.yml': 'out_of_scope: [who won the match]\n' })).toEqual([
      '.:1:1 no intents in any file (only `out_of_scope:` examples)',
    ]);
    await writeFile(path.join(dir, 'a.yml'), intents);
    expect(await problems({ 'b.yml': 'language: en\n' })).toEqual([
      'b.yml:1:1 the file has no `intents:` (or `out_of_scope:`) section',
    ]);
    expect(await problems({ 'b.yml': 'out_of_scop: [x]\n' })).toEqual([
      'b.yml:1:1 the file has no `intents:` (or `out_of_scope:`) section',
      "b.yml:1:1 unknown key 'out_of_scop' in the file",
    ]);
  });
});
