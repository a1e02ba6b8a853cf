/**
 * Helpers the author commands share: which bot folder, and printing file problems.
 *
 * @module
 */
import path from 'node:path';
import { loadConfig, loadDotEnv } from '../config';
import { formatProblem, SourceFileError, type SourceProblem } from '../errors';
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
  return reportProblemList(error.problems);
}

/** Prints warnings then problems, relative to the current folder, and a count; returns the exit code. */
export function reportProblemList(problems: SourceProblem[], warnings: SourceProblem[] = []): number {
  printProblems(warnings);
  printProblems(problems);
  console.error(
    `\n${count(problems.length, 'problem')}${warnings.length ? `, ${count(warnings.length, 'warning')}` : ''}`,
  );
  return problems.length > 0 ? 1 : 0;
}

/** A file as the person at the terminal best reads it: relative inside the current folder, else absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Each problem (or warning) as `file:line:column: message`, the path relative to the current folder. */
export function printProblems(problems: SourceProblem[]): void {
  for (const p of problems) {
    console.error(formatProblem({ ...p, file: displayPath(p.file) }));
  }
}

/** "1 problem", "2 problems". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
