import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli';
import { evaluateDataset, type IntentDataset, readDataset } from '../../src/nlu/evaluate';

// The full benchmark lives in bench/nlu.ts; here 30 of CLINC150's 150 intents, kept in the
// repository (test/fixtures/clinc150/README.md), keep it quick and self-contained.
const SUBSET = path.join(__dirname, '..', 'fixtures', 'clinc150', 'subset.json');

/** `switchboard eval …` as typed; what the parser writes goes to the console like the command's own output. */
const run = (args: string[]) =>
  cli(['eval', ...args], {
    out: (text) => console.log(text.trimEnd()),
    err: (text) => console.error(text.trimEnd()),
  });

describe('CLINC150 subset (30 intents, real out-of-scope queries)', () => {
  let subset: IntentDataset;
  beforeAll(async () => {
    subset = await readDataset(SUBSET);
  });

  it('answers in-scope queries and rejects most out-of-scope ones at the val-chosen point', async () => {
    const report = await evaluateDataset(subset);
    expect(report.intents).toBe(30);
    expect(report.calibratedOn).toBe('val');
    expect(report.inScopeAccuracy).toBeGreaterThan(0.9);
    expect(report.oosRecall).toBeGreaterThan(0.6);
    expect(report.oosPrecision).toBeGreaterThan(0.6);
    expect(report.macroF1).toBeGreaterThan(0.85);
  });

  it('`switchboard eval --json` prints the metrics as fractions, and accuracy only without OOS data', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-eval-'));
    const logs: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => logs.push(line));
    try {
      const withOos = path.join(dir, 'with-oos.json');
      await writeFile(withOos, JSON.stringify(subset));
      expect(await run(['--data', withOos, '--json'])).toBe(0);
      const report = JSON.parse(logs.pop() as string);
      for (const key of [
        'inScopeAccuracy',
        'oosRecall',
        'oosPrecision',
        'macroF1',
        'threshold',
        'trainSeconds',
        'msPerUtterance',
      ]) {
        expect(typeof report[key]).toBe('number');
      }
      expect(report.oosRecall).toBeGreaterThan(0);
      expect(report.oosRecall).toBeLessThanOrEqual(1);

      const noOos = path.join(dir, 'no-oos.json');
      await writeFile(noOos, JSON.stringify({ train: subset.train, val: subset.val, test: subset.test }));
      expect(await run(['--data', noOos, '--json'])).toBe(0);
      const accuracyOnly = JSON.parse(logs.pop() as string);
      expect(accuracyOnly.inScopeAccuracy).toBeGreaterThan(0.9);
      expect(accuracyOnly).not.toHaveProperty('oosRecall');

      expect(await run(['--data', noOos])).toBe(0);
      expect(logs.pop()).toMatch(/in-scope accuracy\s+9\d\.\d %/);
    } finally {
      spy.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000); // three trainings: slow on a busy 2-core machine

  it('`switchboard eval` explains bad arguments and bad files', async () => {
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    try {
      expect(await run([])).toBe(2);
      expect(errors.join('\n')).toMatch(
        /^switchboard eval: --data FILE is required \(or --knowledge for knowledge answers\)\n/,
      );
      expect(await run(['--data', path.join(tmpdir(), 'no-such-file.json')])).toBe(1);
      expect(errors.pop()).toMatch(/ENOENT/);
    } finally {
      spy.mockRestore();
    }
  });
});
