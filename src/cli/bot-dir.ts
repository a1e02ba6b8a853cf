/**
 * The bot folder a command works on, and "did you mean" when it is not one.
 *
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { hasBotContent } from '../flows/runtime';
import { HANDOFF_FILE } from '../handoff/config';
import { nearest } from '../util/did-you-mean';
import { UsageError } from './usage';

/** Whether `dir` holds a bot: content ({@link hasBotContent}), or a handoff.yml alone (a desk only). */
export function isBotFolder(dir: string): boolean {
  return hasBotContent(dir) || existsSync(path.join(dir, HANDOFF_FILE));
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
      `the current folder is not a bot folder (no intents/, flows/, knowledge/ or ${HANDOFF_FILE})${
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
      `--dir ${dir} is not a bot folder (no intents/, flows/, knowledge/ or ${HANDOFF_FILE})${
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
