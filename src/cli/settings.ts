/**
 * The settings a CLI command runs with, checked in one pass: the core settings and every
 * channel's, so that a person fixing `.env` sees every problem at once, not one per try.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { adaptersFromConfig, type ChannelDefinition } from '../core/channel';
import { type Config, loadDotEnv, readConfig } from '../config';
import type { ChannelAdapter } from '../core/adapter';
import { ConfigError } from '../errors';

/** A checked configuration, and the channel adapters it turns on. */
export interface CheckedSettings {
  config: Config;
  adapters: ChannelAdapter[];
}

/**
 * Reads `botDir/.env` (without overriding the environment), then checks the core settings
 * and every channel's together.
 *
 * @throws ConfigError listing every problem, one line each, secrets never shown.
 */
export function checkedSettings(
  botDir: string,
  channels: readonly ChannelDefinition[],
  overrides: Record<string, string> = {},
): CheckedSettings {
  loadDotEnv(botDir);
  const env: Record<string, string | undefined> = { ...process.env, BOT_DIR: botDir, ...overrides };
  const { config, problems } = readConfig(env, botDir);
  if (env.BOT_DIR && !existsSync(config.botDir)) {
    problems.push(
      `BOT_DIR: no folder at ${config.botDir}: point it at the bot folder (with intents/ and flows/)`,
    );
  }
  let adapters: ChannelAdapter[] = [];
  try {
    // With each bad core setting at its default: the channels are checked in the same pass.
    adapters = adaptersFromConfig(config, channels);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // Two channels may share a setting (META_GRAPH_URL): say it once.
  const unique = [...new Set(problems)];
  if (unique.length > 0) throw new ConfigError(unique);
  return { config, adapters };
}

/** Prints a ConfigError for a person: what to fix, one line per setting, and where settings live. */
export function printConfigProblems(error: ConfigError, botDir: string, command: string): number {
  const n = error.problems.length;
  console.error(
    [
      `switchboard ${command}: ${n === 1 ? '1 setting needs' : `${n} settings need`} fixing; nothing was started.`,
      '',
      ...error.problems.map((p) => `  ${p}`),
      '',
      `Settings come from the environment and ${path.join(botDir, '.env')}; .env.example lists them all.`,
    ].join('\n'),
  );
  return 1;
}
