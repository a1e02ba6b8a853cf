/** Where a bot folder's conversation tests are found: test/conversations/, or a legacy tests/. */
import path from 'node:path';
import { testFilesIn } from '../../src/flows/testing';
import { writeBot } from '../helpers/bot';

const bot = (files: Record<string, string>) => writeBot(files, 'sb-convfiles-');

test('test/conversations/*.yml, sorted; other files ignored', () => {
  const dir = bot({
    'test/conversations/b.yml': '',
    'test/conversations/a.yaml': '',
    'test/conversations/x.md': '',
  });
  expect(testFilesIn(dir).map((f) => path.relative(dir, f))).toEqual([
    path.join('test', 'conversations', 'a.yaml'),
    path.join('test', 'conversations', 'b.yml'),
  ]);
});

test('a bot made before test/conversations/ keeps its tests/ (said once, with the move)', () => {
  const dir = bot({ 'tests/main.yml': '' });
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    expect(testFilesIn(dir)).toEqual([path.join(dir, 'tests', 'main.yml')]);
    expect(testFilesIn(dir)).toHaveLength(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/move them to .*test\/conversations/);
  } finally {
    warn.mockRestore();
  }
});

test('with both, test/conversations/ wins', () => {
  const dir = bot({ 'tests/old.yml': '', 'test/conversations/new.yml': '' });
  expect(testFilesIn(dir)).toEqual([path.join(dir, 'test', 'conversations', 'new.yml')]);
});
