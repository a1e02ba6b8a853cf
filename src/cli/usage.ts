/**
 * What the CLI's commands share: the usage error, the bot folder, and Switchboard's own
 * package.json.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { HANDOFF_FILE } from '../handoff/config';
import { nearest } from '../util/did-you-mean';

/**
 * A command line that cannot work (a missing or non-bot `--dir`, a bad option value): the
 * CLI prints `switchboard <command>: <message>`, the command's usage, and exits with 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Whether `dir` holds a bot: an `intents/` or `flows/` folder, or a handoff.yml (a desk only). */
export function isBotFolder(dir: string): boolean {
  return ['intents', 'flows', HANDOFF_FILE].some((entry) => existsSync(path.join(dir, entry)));
}

/**
 * The bot folder a command works on, absolute. `--dir` must name an existing bot folder;
 * without it, the current folder is used, and (unless `allowEmpty`, which `start` and `dev`
 * pass to run the built-in echo bot) must be one too.
 *
 * @throws UsageError saying what is wrong, with a "did you mean" when a folder nearby fits.
 */
export function resolveBotDir(dir: string | undefined, options: { allowEmpty?: boolean } = {}): string {
  if (dir === undefined) {
    const cwd = process.cwd();
    if (options.allowEmpty || isBotFolder(cwd)) return cwd;
    const guess = onlyBotIn(cwd);
    throw new UsageError(
      `the current folder is not a bot folder (no intents/, flows/ or ${HANDOFF_FILE})${
        guess ? ` (did you mean --dir ${guess}?)` : ''
      }; pass --dir DIR, or create a bot with \`switchboard init DIR\``,
    );
  }
  const full = path.resolve(dir);
  if (!existsSync(full)) {
    const parent = path.dirname(full);
    const siblings = existsSync(parent) ? subfolders(parent) : [];
    const guess = nearest(path.basename(full), siblings);
    throw new UsageError(
      `--dir ${dir}: no such folder${guess ? ` (did you mean ${path.join(path.dirname(dir), guess)}?)` : ''}`,
    );
  }
  if (!statSync(full).isDirectory()) throw new UsageError(`--dir ${dir}: not a folder`);
  if (!isBotFolder(full)) {
    const guess = onlyBotIn(full);
    throw new UsageError(
      `--dir ${dir} is not a bot folder (no intents/, flows/ or ${HANDOFF_FILE})${
        guess ? ` (did you mean ${path.join(dir, guess)}?)` : ''
      }; \`switchboard init NEW_FOLDER\` creates a bot`,
    );
  }
  return full;
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** The one bot folder directly inside `dir`, if there is exactly one: "did you mean" when a level is missing. */
function onlyBotIn(dir: string): string | undefined {
  const bots = subfolders(dir).filter((name) => isBotFolder(path.join(dir, name)));
  return bots.length === 1 ? bots[0] : undefined;
}

/** Switchboard's own package.json: name, version, and the folder it is in. */
export function switchboardPackage(): { name: string; version: string; dir: string } {
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
        bin?: unknown;
      };
      if (pkg.name && pkg.version && pkg.bin) return { name: pkg.name, version: pkg.version, dir };
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find Switchboard's package.json");
    dir = up;
  }
}
