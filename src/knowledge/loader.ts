/**
 * Reads the bot's `knowledge/` folder (Markdown and HTML, in sub-folders too) into a
 * {@link KnowledgeBase}. All or nothing, like intents and flows: any broken file stops the
 * load with every file:line:column problem. The parsed documents and their indexes are cached
 * under DATA_DIR by content hash, so a restart with unchanged files skips the indexing.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SourceFileError, type SourceProblem } from '../errors';
import { documentId, type KnowledgeDocument, parseKnowledgeFile } from './document';
import { KnowledgeBase, type KnowledgeSnapshot } from './search';

/** Bump when parsing, analysis or the cache format change: old caches are then ignored. */
export const KNOWLEDGE_VERSION = 'sb-knowledge-1';

const DOCUMENT_FILE = /\.(md|markdown|html?)$/i;

export interface LoadKnowledgeOptions {
  /** The bot's language (intents' `language:`): documents without `language:` are in it. */
  language?: string;
  /** Where indexes are cached (DATA_DIR/knowledge). */
  cacheDir?: string;
  /** Minimum confidence to answer (default {@link DEFAULT_MIN_CONFIDENCE}). */
  minConfidence?: number;
  /** Told whether the index came from the cache or was built. */
  onIndex?: (source: 'cache' | 'built') => void;
}

/** Every document file under `dir`, sorted. */
async function documentFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && DOCUMENT_FILE.test(e.name))
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}

/** Parses every file, adding problems to `problems` (for `validate`, with the other files' problems). */
export async function collectKnowledge(
  dir: string,
  language: string,
  problems: SourceProblem[],
): Promise<{ documents: KnowledgeDocument[]; hash: string }> {
  const hash = createHash('sha256').update(`${KNOWLEDGE_VERSION}\0${language}`);
  const documents: KnowledgeDocument[] = [];
  if (!existsSync(dir)) return { documents, hash: hash.digest('hex').slice(0, 24) };
  const seenUrls = new Map<string, string>();
  for (const file of await documentFiles(dir)) {
    const source = await readFile(file, 'utf8');
    const id = documentId(dir, file);
    hash.update(`\0${id}\0${source}`);
    const doc = parseKnowledgeFile(file, id, source, language, problems);
    if (!doc) continue;
    const first = doc.url ? seenUrls.get(doc.url) : undefined;
    if (doc.url && first) {
      problems.push({
        file,
        line: 1,
        column: 1,
        message: `url ${doc.url} is also the url of ${first}`,
        hint: 'each document is its own source: give it its own url',
      });
      continue;
    }
    if (doc.url) seenUrls.set(doc.url, path.basename(file));
    documents.push(doc);
  }
  return { documents, hash: hash.digest('hex').slice(0, 24) };
}

/**
 * Loads `dir` (a bot's `knowledge/` folder). A missing folder is a bot without knowledge
 * (`null`).
 *
 * @throws SourceFileError (`SB_KNOWLEDGE_INVALID`) listing every problem.
 */
export async function loadKnowledge(
  dir: string,
  options: LoadKnowledgeOptions = {},
): Promise<KnowledgeBase | null> {
  if (!existsSync(dir)) return null;
  const problems: SourceProblem[] = [];
  const { documents, hash } = await collectKnowledge(dir, options.language ?? 'en', problems);
  if (problems.length > 0) {
    const sorted = [...problems].sort(
      (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
    );
    throw new SourceFileError('SB_KNOWLEDGE_INVALID', sorted);
  }
  if (documents.length === 0) return null;
  const file = options.cacheDir ? path.join(options.cacheDir, `${hash}.json`) : undefined;
  if (file && existsSync(file)) {
    try {
      const snapshot = JSON.parse(await readFile(file, 'utf8')) as KnowledgeSnapshot;
      const kb = KnowledgeBase.restore(snapshot, options.minConfidence);
      options.onIndex?.('cache');
      return kb;
    } catch {
      // A corrupt or foreign cache file is a miss: the index is rebuilt and written again.
    }
  }
  const kb = KnowledgeBase.build(documents, options.minConfidence);
  options.onIndex?.('built');
  if (file && options.cacheDir) {
    await mkdir(options.cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(kb.snapshot()));
    await rename(tmp, file);
  }
  return kb;
}
