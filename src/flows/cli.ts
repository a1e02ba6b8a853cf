/**
 * Helpers the author commands share: which bot folder, and printing file problems.
 *
 * @module
 */
import path from 'node:path';
import { loadConfig, loadDotEnv } from '../config';
import { formatProblem, SourceFileError } from '../errors';
import { HandoffConfigError } from '../handoff/config';

/** The bot folder: `--dir DIR`, else the current folder. */
export function botDirFrom(argv: string[]): string {
  const i = argv.indexOf('--dir');
  const dir = i >= 0 ? argv[i + 1] : undefined;
  return path.resolve(dir ?? process.cwd());
}

/** The value after `--name`, if any. */
export function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The bot folder's configuration (its `.env` too), pointed at that folder. */
export function configFor(dir: string, overrides: Record<string, string> = {}) {
  loadDotEnv(dir);
  return loadConfig({ ...process.env, BOT_DIR: dir, ...overrides }, dir);
}

/** Whether `error` lists problems in the bot folder's files (intents, flows, handoff.yml). */
export function isFileProblem(error: unknown): error is SourceFileError | HandoffConfigError {
  return error instanceof SourceFileError || error instanceof HandoffConfigError;
}

/**
 * Prints every problem (intents, flows, handoff.yml) with paths relative to the current
 * folder; returns the exit code. Rethrows any other error.
 */
export function reportProblems(error: unknown): number {
  if (!isFileProblem(error)) throw error;
  for (const p of error.problems) {
    console.error(formatProblem({ ...p, file: path.relative(process.cwd(), p.file) || p.file }));
  }
  const n = error.problems.length;
  console.error(`\n${n} problem${n === 1 ? '' : 's'}`);
  return 1;
}
