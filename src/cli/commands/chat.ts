import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createSwitchboard } from '../../app';
import type { ChannelDefinition } from '../../core/channel';
import { ConfigError } from '../../errors';
import { isFileProblem, reportProblems } from '../../flows/cli';
import { type CheckedSettings, checkedSettings, printConfigProblems } from '../settings';
import { resolveBotDir } from '../bot-dir';
import type { Content } from '../../model';
import { createLogger } from '../../observability/logger';

const HELP = `Type as a customer would. Commands:
  /debug   show the intent, confidence, entities, flow, step and slots after each message
  /reset   start a new conversation (a new customer)
  /quit    leave (or Ctrl+D)
Buttons are numbered: type the number to press one.`;

function render(content: Content): string {
  if (content.type !== 'text') return `[${content.type}]`;
  const buttons = [...(content.buttons ?? []), ...(content.quickReplies ?? [])];
  return [content.text, ...buttons.map((b, i) => `    ${i + 1}. ${b.title}`)].join('\n');
}

/** `switchboard chat [--dir DIR] [--debug]`: talk to the bot in the terminal, in-process, with a throwaway store. */
export async function run(options: {
  dir?: string;
  debug?: boolean;
  channels: readonly ChannelDefinition[];
}): Promise<number> {
  const dir = resolveBotDir(options.dir);
  let settings: CheckedSettings;
  try {
    settings = checkedSettings(dir, options.channels, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  } catch (error) {
    if (error instanceof ConfigError) return printConfigProblems(error, dir, 'chat');
    throw error;
  }
  const { config, adapters } = settings;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-chat-'));
  const bot = createSwitchboard(
    { ...config, dataDir },
    {
      adapters,
      logger: createLogger({ level: config.LOG_LEVEL, pretty: Boolean(process.stdout.isTTY) }),
      nluCacheDir: path.join(config.dataDir, 'nlu'),
      outbox: { pollIntervalMs: 1000 },
    },
  );
  try {
    await bot.start();
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    if (isFileProblem(error)) return reportProblems(error, dir);
    throw error;
  }
  let debug = options.debug === true;
  let visitor = `chat-${process.pid}-1`;
  let resets = 1;
  let lastSeq = 0;
  console.log(`Chatting with the bot in ${dir}. ${HELP}\n`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    rl.setPrompt('you> ');
    rl.prompt();
    for await (const raw of rl) {
      const line = raw.trim();
      if (!process.stdin.isTTY) console.log(line);
      if (line === '/quit' || line === '/exit') break;
      if (line === '/debug') {
        debug = !debug;
        console.log(`(debug ${debug ? 'on' : 'off'})`);
        rl.prompt();
        continue;
      }
      if (line === '/reset') {
        visitor = `chat-${process.pid}-${++resets}`;
        lastSeq = 0;
        console.log('(new conversation)');
        rl.prompt();
        continue;
      }
      if (line === '') {
        rl.prompt();
        continue;
      }
      const accepted = await bot.inbox.accept({
        channel: 'web',
        sender: { externalId: visitor, profile: { name: os.userInfo().username } },
        address: { visitorId: visitor },
        content: { type: 'text', text: line },
      });
      await bot.idle();
      const messages = await bot.store.messages.list(accepted.conversation.id, { afterSeq: lastSeq });
      lastSeq = messages.at(-1)?.seq ?? lastSeq;
      for (const m of messages) if (m.direction === 'out') console.log(`bot> ${render(m.content)}`);
      if (debug) {
        const inbound = messages.find((m) => m.id === accepted.message.id);
        const conversation = await bot.store.conversations.get(accepted.conversation.id);
        const nlu = inbound?.nlu;
        const entities = (nlu?.entities ?? []).map((e) => `${e.entity}=${JSON.stringify(e.value)}`).join(' ');
        console.log(
          `  · intent ${nlu?.intent ?? '(out of scope)'} ${nlu ? `(${nlu.confidence.toFixed(2)})` : ''}${entities ? ` · entities ${entities}` : ''}${nlu?.sentiment ? ` · sentiment ${nlu.sentiment.label} ${nlu.sentiment.score}` : ''}`,
        );
        const flow = conversation?.flow;
        console.log(
          `  · ${flow ? `flow ${flow.flowId}@${flow.flowVersion.slice(0, 7)} step ${flow.step} · slots ${JSON.stringify(flow.slots)}` : 'no flow'} · status ${conversation?.status}`,
        );
        if (conversation?.status !== 'bot' && conversation?.handoff) {
          console.log(`  · handoff ${JSON.stringify(conversation.handoff)}`);
        }
      }
      rl.prompt();
    }
  } finally {
    rl.close();
    await bot.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return 0;
}
