/**
 * Starts the real Switchboard server (the bot `switchboard start` runs) on 127.0.0.1
 * with an ephemeral port and a throwaway data folder.
 */
import { channels } from '../../adapters';
import { setHumanAvailability } from '../../src/handoff/availability';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSwitchboard } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Bot } from '../../src/core/bot';
import type { Context } from '../../src/core/context';

export interface TestBot {
  baseUrl: string;
  dataDir: string;
  bot: Bot<Context>;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'sb-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A throwaway bot folder holding `files` (path → content, folders made as needed). */
export function writeBot(files: Record<string, string>, prefix = 'sb-bot-'): string {
  const dir = tempDir(prefix);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

export async function startTestBot(
  options: {
    dataDir?: string;
    env?: Record<string, string>;
    setup?: (bot: Bot<Context>) => void;
    /** Someone works the queue without Slack: handoffs are queued (otherwise nobody is available). */
    staffed?: boolean;
  } = {},
): Promise<TestBot> {
  const dataDir = options.dataDir ?? tempDir();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    // An empty bot folder: the core path's greet-and-echo bot. Sample-bot tests set BOT_DIR.
    BOT_DIR: tempDir('sb-bot-'),
    ...options.env,
  });
  const bot = createSwitchboard(config, {
    channels,
    outbox: { pollIntervalMs: 50, retryBaseMs: 50 },
    worker: { sweepIntervalMs: 200 },
    setup: (b) => {
      // Before the author's middleware and the flows: a handoff finds someone to take it.
      if (options.staffed)
        b.use((ctx, next) => {
          setHumanAvailability(ctx, { available: true });
          return next();
        });
      options.setup?.(b);
    },
  });
  await bot.start();
  return { baseUrl: bot.url, dataDir, bot, stop: () => bot.stop() };
}
