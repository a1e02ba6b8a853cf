/**
 * `switchboard/testing`: conversation tests (`test/conversations/*.yml`: `user:` / `bot:` turns
 * run against the real bot), as `switchboard test` runs them, for a bot's own test runner.
 *
 * @module
 */
export {
  type ConversationTest,
  formatResults,
  loadConversationTests,
  runConversationTests,
  type TestResult,
} from './flows/testing';
