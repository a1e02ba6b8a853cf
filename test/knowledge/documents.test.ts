/**
 * The knowledge/ folder: Markdown and HTML with front matter become documents and passages,
 * broken files are reported by `switchboard validate` with file:line:column, the index is
 * cached by content hash, and the sample shop's documents answer their questions.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run as validate } from '../../src/cli/commands/validate';
import { formatProblem, SourceFileError } from '../../src/errors';
import {
  evaluateKnowledge,
  type KnowledgeBase,
  loadKnowledge,
  passageAnswer,
  readKnowledgeQuestions,
} from '../../src/knowledge';
import { tempDir } from '../helpers/bot';
import { channels } from '../../adapters';

function knowledgeDir(files: Record<string, string>): string {
  const bot = tempDir('sb-kb-');
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(bot, 'knowledge', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text.replace(/^\n/, ''));
  }
  return bot;
}

async function problems(bot: string): Promise<string[]> {
  try {
    await loadKnowledge(path.join(bot, 'knowledge'));
  } catch (error) {
    if (!(error instanceof SourceFileError)) throw error;
    expect(error.code).toBe('SB_KNOWLEDGE_INVALID');
    return error.problems.map((p) => formatProblem({ ...p, file: path.relative(bot, p.file) }));
  }
  return [];
}

const RETURNS = `
---
title: Returns policy
url: https://shop.example/returns
channels: [web, telegram]
---
# Returns

You can return any item within 30 days of delivery. Returns are free.

## Sizes

| Size | Chest |
| --- | --- |
| M | 96–103 cm |
`;

const CARE_HTML = `
<!doctype html>
<html lang="de">
<head><title>Pflege</title><link rel="canonical" href="https://shop.example/pflege"></head>
<body><nav>Menu Home</nav>
<h1>Leinen pflegen</h1>
<p>Leinen bei 40 Grad waschen, ohne Weichspüler.</p>
<script>track()</script>
<h2>Trocknen</h2><ul><li>Auf der Leine trocknen.</li><li>Feucht bügeln.</li></ul>
</body></html>
`;

test('Markdown and HTML become documents: front matter, fallbacks from the page, passages by heading', async () => {
  const bot = knowledgeDir({ 'returns.md': RETURNS, 'care/linen.html': CARE_HTML });
  const kb = (await loadKnowledge(path.join(bot, 'knowledge'))) as KnowledgeBase;
  const returns = kb.document('returns');
  expect(returns).toMatchObject({
    title: 'Returns policy',
    url: 'https://shop.example/returns',
    channels: ['web', 'telegram'],
    language: 'en',
  });
  expect(returns?.passages.map((p) => [p.heading, p.text])).toEqual([
    ['Returns policy', 'You can return any item within 30 days of delivery. Returns are free.'],
    ['Sizes', 'Size: M · Chest: 96–103 cm'],
  ]);
  const care = kb.document('care/linen');
  expect(care).toMatchObject({ title: 'Leinen pflegen', url: 'https://shop.example/pflege', language: 'de' });
  expect(care?.passages.map((p) => p.text)).toEqual([
    'Leinen bei 40 Grad waschen, ohne Weichspüler.',
    'Auf der Leine trocknen.\nFeucht bügeln.',
  ]);
  // Each language has its own stemmer: "gewaschen"/"waschen" meet in German.
  expect(kb.search('Wie soll ich Leinen waschen?').hits[0]?.document.id).toBe('care/linen');
});

test('a document limited to channels answers only there', async () => {
  const bot = knowledgeDir({ 'returns.md': RETURNS });
  const kb = (await loadKnowledge(path.join(bot, 'knowledge'))) as KnowledgeBase;
  expect(kb.search('how many days to return an item', { channel: 'web' }).hits[0]?.document.id).toBe(
    'returns',
  );
  expect(kb.search('how many days to return an item', { channel: 'whatsapp' }).hits).toEqual([]);
});

test('broken files: every problem with file:line:column and a hint, nothing loaded', async () => {
  const bot = knowledgeDir({
    'a.md':
      '---\ntitle: A\nurl: not a url\nlanguage: english\nchannels: [Web Chat]\nauthor: me\n---\nText.\n',
    'b.md': '---\ntitle: [unclosed\n---\nText.\n',
    'c.md': '---\ntitle: C\n\nNo closing line.\n',
    'd.md': 'Just text, no title anywhere.\n',
    'e.md': '---\ntitle: Empty\n---\n\n',
    'f.md': '---\ntitle: F\nurl: https://shop.example/a\n---\nOne.\n',
    'g.md': '---\ntitle: G\nurl: https://shop.example/a\n---\nTwo.\n',
  });
  const found = await problems(bot);
  expect(found).toEqual([
    expect.stringMatching(/^knowledge\/a\.md:3:6: url must be an http\(s\) URL/),
    expect.stringMatching(/^knowledge\/a\.md:4:11: language must be a two-letter code/),
    expect.stringMatching(/^knowledge\/a\.md:5:11: channels must be a channel name or a list of them/),
    expect.stringMatching(
      /^knowledge\/a\.md:6:1: unknown front matter key 'author'\n {4}hint: allowed: title, url, channels, language/,
    ),
    expect.stringMatching(/^knowledge\/b\.md:\d+:\d+: invalid front matter/),
    expect.stringMatching(/^knowledge\/c\.md:1:1: the front matter is not closed/),
    expect.stringMatching(/^knowledge\/d\.md:1:1: the document has no title/),
    expect.stringMatching(/^knowledge\/e\.md:4:1: the document has no text/),
    expect.stringMatching(/^knowledge\/g\.md:1:1: url https:\/\/shop\.example\/a is also the url of f\.md/),
  ]);
});

test('`switchboard validate` reports broken knowledge files and counts good ones', async () => {
  const bot = knowledgeDir({ 'returns.md': RETURNS, 'bad.md': '---\ntitle: Bad\nurl: nope\n---\nText.\n' });
  const errors: string[] = [];
  const logs: string[] = [];
  const error = jest.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(String(m)));
  const log = jest.spyOn(console, 'log').mockImplementation((m: string) => void logs.push(String(m)));
  const cwd = process.cwd();
  try {
    process.chdir(bot);
    expect(await validate({ dir: bot, channels })).toBe(1);
    expect(errors.join('\n')).toMatch(/knowledge\/bad\.md:3:6: url must be an http\(s\) URL/);
    writeFileSync(path.join(bot, 'knowledge', 'bad.md'), '---\ntitle: Good\n---\nText.\n');
    expect(await validate({ dir: bot, channels })).toBe(0);
    expect(logs.join('\n')).toMatch(/2 knowledge documents: no problems/);
  } finally {
    process.chdir(cwd);
    error.mockRestore();
    log.mockRestore();
  }
});

test('the index is cached by content hash: unchanged files load from the cache, an edit rebuilds', async () => {
  const bot = knowledgeDir({ 'returns.md': RETURNS });
  const cacheDir = tempDir('sb-kb-cache-');
  const seen: string[] = [];
  const load = () => loadKnowledge(path.join(bot, 'knowledge'), { cacheDir, onIndex: (s) => seen.push(s) });
  const first = await load();
  const second = await load();
  expect(seen).toEqual(['built', 'cache']);
  expect(second?.search('return within how many days').hits[0]?.passage).toEqual(
    first?.search('return within how many days').hits[0]?.passage,
  );
  writeFileSync(path.join(bot, 'knowledge', 'returns.md'), RETURNS.replace('30 days', '60 days'));
  const third = await load();
  expect(seen).toEqual(['built', 'cache', 'built']);
  expect(third?.search('return within how many days').hits[0]?.passage.text).toMatch(/60 days/);
  // A corrupt cache file is a miss, not a crash.
  for (const f of readdirSync(cacheDir)) writeFileSync(path.join(cacheDir, f), '{broken');
  await load();
  expect(seen.at(-1)).toBe('built');
});

test('a long passage is cut around the sentence that answers, within the channel limit, with its source', async () => {
  const long = Array.from({ length: 12 }, (_, i) => `Filler sentence number ${i} about nothing much at all.`);
  long.splice(8, 0, 'Gift wrapping costs 3 euros per parcel.');
  const bot = knowledgeDir({
    'wrap.md': `---\ntitle: Wrapping\nurl: https://shop.example/wrap\n---\n${long.join(' ')}\n`,
  });
  const kb = (await loadKnowledge(path.join(bot, 'knowledge'))) as KnowledgeBase;
  const hit = kb.search('how much is gift wrapping').hits[0];
  expect(hit).toBeDefined();
  const terms = (text: string) => kb.termsOf('en', text);
  const answer = passageAnswer(hit as NonNullable<typeof hit>, terms, 300);
  expect(answer.text.length).toBeLessThanOrEqual(300);
  expect(answer.text).toMatch(/Gift wrapping costs 3 euros per parcel\./);
  expect(answer.text).toMatch(/\n\nSource: Wrapping — https:\/\/shop\.example\/wrap$/);
  expect(answer.sources).toEqual([{ document: 'wrap', title: 'Wrapping', url: 'https://shop.example/wrap' }]);
});

test('the sample shop: its documents answer its labelled questions and reject the unanswerable ones', async () => {
  const root = path.resolve(__dirname, '../..');
  const kb = (await loadKnowledge(path.join(root, 'knowledge'))) as KnowledgeBase;
  const questions = await readKnowledgeQuestions(path.join(root, 'evals', 'knowledge.yml'));
  expect(kb.size).toBeGreaterThanOrEqual(30);
  expect(questions.answerable.length).toBeGreaterThanOrEqual(100);
  expect(questions.unanswerable.length).toBeGreaterThanOrEqual(50);
  const report = evaluateKnowledge(kb, questions);
  expect(report.sourceAccuracy).toBeGreaterThanOrEqual(0.85);
  expect(report.unanswerableRejected).toBeGreaterThanOrEqual(0.8);
});
