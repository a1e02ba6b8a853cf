/**
 * Knowledge answers: the bot's `knowledge/` documents (Markdown and HTML with front matter),
 * indexed at start, answering what no intent or flow does, with their source. The rest of the
 * framework imports from here only.
 *
 * @example
 * const kb = await loadKnowledge('knowledge', { cacheDir: 'data/knowledge' });
 * const { hits } = kb?.search('how long do refunds take') ?? { hits: [] };
 *
 * @module
 */
export {
  type KnowledgeAnswer,
  type KnowledgeSource,
  PASSAGE_MAX_CHARS,
  passageAnswer,
  sourceLines,
} from './answer';
export type { KnowledgeDocument, Passage } from './document';
export {
  evaluateKnowledge,
  type KnowledgeEvalReport,
  type KnowledgeQuestions,
  readKnowledgeQuestions,
} from './evaluate';
export { type Generation, LlmClient, type LlmSettings, NO_ANSWER } from './llm';
export { collectKnowledge, KNOWLEDGE_VERSION, loadKnowledge, type LoadKnowledgeOptions } from './loader';
export {
  KNOWLEDGE_DATA_KEY,
  type KnowledgeAnswerer,
  type KnowledgeRecord,
  KnowledgeResponder,
} from './responder';
export {
  DEFAULT_MIN_CONFIDENCE,
  KnowledgeBase,
  type KnowledgeHit,
  type KnowledgeSnapshot,
  type SearchOptions,
  type SearchResult,
} from './search';
