/**
 * A conversation finishes the flow version it started on, even after the file changed and
 * the bot restarted (versions are kept under DATA_DIR/flow-versions); new conversations get
 * the new version. Hot reload (`dev`) swaps content only when every file is valid. The NLU
 * model is cached under DATA_DIR by content hash.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SwitchboardBot } from '../../src/app';
import { SourceFileError } from '../../src/errors';
import { FlowRuntime } from '../../src/flows';
import { startTestBot, type TestBot, tempDir } from '../helpers/bot';

const root = path.resolve(__dirname, '../..');

function copyBot(): string {
  const dir = tempDir('sb-bot-copy-');
  for (const sub of ['intents', 'flows', 'actions', 'shop-data']) {
    cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
  }
  return dir;
}

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`"${from}" not in ${file}`);
  writeFileSync(file, text.replace(from, to));
}

async function turn(bot: TestBot, visitorId: string, text: string): Promise<string[]> {
  const inbox = bot.bot.inbox;
  const accepted = await inbox.accept({
    channel: 'web',
    sender: { externalId: visitorId },
    address: { visitorId },
    content: { type: 'text', text },
  });
  await bot.bot.idle();
  const messages = await bot.bot.store.messages.list(accepted.conversation.id, {
    afterSeq: accepted.message.seq,
  });
  return messages.filter((m) => m.direction === 'out').map((m) => m.text);
}

test('a running conversation finishes the old version after the file changed; a new one gets the new', async () => {
  const botDir = copyBot();
  const dataDir = tempDir('sb-versions-');
  let bot = await startTestBot({ dataDir, env: { BOT_DIR: botDir } });
  expect(await turn(bot, 'visitor-old', 'I want to return something')).toEqual([
    'I can help with that. Which order is it? (e.g. ORD-10001)',
  ]);
  expect(readdirSync(path.join(dataDir, 'flow-versions'))).toHaveLength(1);

  // The author edits the returns flow and the bot restarts.
  edit(
    path.join(botDir, 'flows/returns.yml'),
    'Which item would you like to return?',
    'What are you sending back?',
  );
  await bot.stop();
  bot = await startTestBot({ dataDir, env: { BOT_DIR: botDir } });

  expect((await turn(bot, 'visitor-old', 'ORD-10002'))[0]).toMatch(/^Which item would you like to return\?/);
  expect(await turn(bot, 'visitor-new', 'I want to return ORD-10002')).toEqual([
    'What are you sending back? In ORD-10002 you have: Ceramic mug, blue, Walnut serving board.',
  ]);
  expect(readdirSync(path.join(dataDir, 'flow-versions'))).toHaveLength(2);

  // Hot reload (what `switchboard dev` does on save): the same rule applies.
  edit(path.join(botDir, 'flows/returns.yml'), 'What are you sending back?', 'Which item goes back?');
  await (bot.bot as SwitchboardBot).content?.load();
  expect((await turn(bot, 'visitor-newest', 'I want to return ORD-10002'))[0]).toMatch(
    /^Which item goes back\?/,
  );
  expect((await turn(bot, 'visitor-new', 'the mug'))[0]).toBe('Why are you sending it back?');
  const old = await turn(bot, 'visitor-old', 'the mug');
  expect(old).toEqual(['Why are you sending it back?']);
  await bot.stop();
}, 60_000);

test('hot reload of a broken file keeps the last good version running (nothing half-loaded)', async () => {
  const botDir = copyBot();
  const runtime = new FlowRuntime(botDir, { cacheDir: tempDir('sb-nlu-') });
  await runtime.load();
  const engine = runtime.engine;
  writeFileSync(
    path.join(botDir, 'flows/returns.yml'),
    'flows:\n  returns:\n    trigger: start_return\n    steps: {}\n',
  );
  writeFileSync(path.join(botDir, 'intents/more.yml'), 'intents:\n  new_one:\n    examples: [hello]\n');
  const error = await runtime.load().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SourceFileError);
  const messages = (error as SourceFileError).problems.map(
    (p) => `${path.relative(botDir, p.file)}:${p.line}:${p.column}`,
  );
  // An empty flow, and an example that intents/smalltalk.yml already has.
  expect(messages).toEqual(['flows/returns.yml:4:12', 'intents/smalltalk.yml:9:9']);
  expect(runtime.engine).toBe(engine);
  expect(runtime.content?.flows.flows.get('returns')?.order).toContain('ask_item');
});

test('NLU training at start is cached under DATA_DIR by content hash', async () => {
  const botDir = copyBot();
  const cacheDir = path.join(tempDir('sb-data-'), 'nlu');
  const sources: string[] = [];
  const runtime = new FlowRuntime(botDir, { cacheDir, onModel: (s) => sources.push(s) });
  await runtime.load();
  await runtime.load();
  expect(sources).toEqual(['trained', 'cache']);
  edit(
    path.join(botDir, 'intents/shop.yml'),
    '- opening times',
    '- opening times\n      - when do you open in the morning',
  );
  await runtime.load();
  expect(sources).toEqual(['trained', 'cache', 'trained']);
  expect(readdirSync(cacheDir).filter((f) => f.endsWith('.model'))).toHaveLength(2);

  // The bot `start` runs caches in DATA_DIR/nlu.
  const dataDir = tempDir('sb-data-');
  const bot = await startTestBot({ dataDir, env: { BOT_DIR: botDir } });
  await bot.stop();
  expect(existsSync(path.join(dataDir, 'nlu'))).toBe(true);
}, 90_000);

test('a stored version that is gone: the current one is used if it has the step, else the bot starts over', async () => {
  const botDir = copyBot();
  const dataDir = tempDir('sb-versions-');
  let bot = await startTestBot({ dataDir, env: { BOT_DIR: botDir } });
  await turn(bot, 'visitor-a', 'I want to return something');
  await turn(bot, 'visitor-b', 'where is my order?');
  await bot.stop();
  rmSync(path.join(dataDir, 'flow-versions'), { recursive: true });
  edit(path.join(botDir, 'flows/returns.yml'), 'Which item would you like to return?', 'What goes back?');
  edit(
    path.join(botDir, 'flows/orders.yml'),
    '      ask_order:\n        ask: "Sure',
    '      ask_number:\n        ask: "Sure',
  );
  edit(path.join(botDir, 'flows/orders.yml'), 'next: ask_order', 'next: ask_number');
  bot = await startTestBot({ dataDir, env: { BOT_DIR: botDir } });
  expect((await turn(bot, 'visitor-a', 'ORD-10002'))[0]).toMatch(/^What goes back\?/);
  expect(await turn(bot, 'visitor-b', 'ORD-10001')).toEqual([
    "Sorry, I lost track of where we were. Let's start again: how can I help?",
  ]);
  await bot.stop();
}, 60_000);
