/**
 * Printing the bot folder's problems for the author commands: every path relative to the
 * bot folder (the way the author thinks of the files), in messages and hints too.
 *
 * @module
 */
import path from 'node:path';
import { formatProblem, SourceFileError, type SourceProblem } from '../errors';
import { HandoffConfigError } from '../handoff/config';

/** Whether `error` lists problems in the bot folder's files (intents, flows, handoff.yml). */
export function isFileProblem(error: unknown): error is SourceFileError | HandoffConfigError {
  return error instanceof SourceFileError || error instanceof HandoffConfigError;
}

/** Prints every problem (intents, flows, handoff.yml) and returns the exit code. Rethrows any other error. */
export function reportProblems(error: unknown, botDir: string): number {
  if (!isFileProblem(error)) throw error;
  return reportProblemList(error.problems, [], botDir);
}

/** Prints warnings then problems, and a count; returns the exit code. */
export function reportProblemList(
  problems: SourceProblem[],
  warnings: SourceProblem[],
  botDir: string,
): number {
  printProblems(warnings, botDir);
  printProblems(problems, botDir);
  console.error(
    `\n${count(problems.length, 'problem')}${warnings.length ? `, ${count(warnings.length, 'warning')}` : ''}`,
  );
  return problems.length > 0 ? 1 : 0;
}

/** A file inside the bot folder as `flows/main.yml`; a file elsewhere stays absolute. */
export function displayPath(file: string, botDir: string): string {
  const relative = path.relative(botDir, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** The problem with its path, and any path in its message or hint, relative to the bot folder. */
export function relativeProblem(p: SourceProblem, botDir: string): SourceProblem {
  const prefix = `${path.resolve(botDir)}${path.sep}`;
  const strip = (text: string) => text.split(prefix).join('');
  return {
    ...p,
    file: displayPath(p.file, botDir),
    message: strip(p.message),
    ...(p.hint !== undefined && { hint: strip(p.hint) }),
  };
}

/** Each problem (or warning) as `file:line:column: message`, relative to the bot folder. */
export function printProblems(problems: SourceProblem[], botDir: string): void {
  for (const p of problems) console.error(formatProblem(relativeProblem(p, botDir)));
}

/** "1 problem", "2 problems". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
