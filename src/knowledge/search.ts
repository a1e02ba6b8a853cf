/**
 * Passage retrieval: MiniSearch (BM25 over title, heading and text) on the NLU's terms, one
 * index per language, and a confidence that means the same for every bot — the share of the
 * question's information (IDF mass) the best passage contains.
 *
 * @module
 */
import MiniSearch, { type AsPlainObject } from 'minisearch';
import { Analyzer, nearestWord } from './analyze';
import type { KnowledgeDocument, Passage } from './document';

/**
 * Below this confidence the bot does not answer from the documents (the normal repair runs).
 * One rule for every bot, see README.md ("Confidence"): the question's words, weighted by how
 * rare they are in the bot's own documents (a word they never use weighs most), must be at
 * least this share inside one passage.
 */
export const DEFAULT_MIN_CONFIDENCE = 0.5;

/** One passage found, best first. */
export interface KnowledgeHit {
  passage: Passage;
  document: KnowledgeDocument;
  /** BM25 score (for ranking only: not comparable between bots). */
  score: number;
  /** 0..1: the question's IDF-weighted words this passage contains. */
  confidence: number;
  /** The question's terms the passage contains. */
  matched: string[];
}

export interface SearchResult {
  /** The question's terms (after stopwords, stemming and typo correction). */
  terms: string[];
  hits: KnowledgeHit[];
}

export interface SearchOptions {
  /** Only documents that may answer on this channel. */
  channel?: string;
  /** Hits returned (default 3). */
  limit?: number;
}

const FIELDS = ['title', 'heading', 'text'];
const BOOST = { title: 1.5, heading: 2, text: 1 };
/** BM25 over the first candidates; the confidence re-ranks only among these. */
const CANDIDATES = 8;

/** One language's documents: the index and what the confidence needs. */
class LanguageIndex {
  readonly analyzer: Analyzer;
  readonly search: MiniSearch<IndexedPassage>;
  private readonly df = new Map<string, number>();
  private readonly passageTerms = new Map<string, Set<string>>();
  /** Known words by first letter, for typo correction, and each word's term. */
  private readonly words = new Map<string, string[]>();
  private readonly wordTerm = new Map<string, string>();
  readonly size: number;

  constructor(
    readonly language: string,
    passages: IndexedPassage[],
    cached?: AsPlainObject,
  ) {
    this.analyzer = new Analyzer(language);
    const options = {
      fields: FIELDS,
      idField: 'id',
      tokenize: (text: string) => this.analyzer.terms(text),
      processTerm: (term: string) => term,
      searchOptions: { boost: BOOST, tokenize: (q: string) => q.split(' '), combineWith: 'OR' as const },
    };
    if (cached) this.search = MiniSearch.loadJS<IndexedPassage>(cached, options);
    else {
      this.search = new MiniSearch<IndexedPassage>(options);
      this.search.addAll(passages);
    }
    for (const p of passages) {
      const terms = new Set<string>();
      for (const field of [p.title, p.heading, p.text]) {
        for (const word of this.analyzer.words(field)) {
          const term = this.analyzer.term(word);
          terms.add(term);
          if (!this.wordTerm.has(word)) {
            this.wordTerm.set(word, term);
            const initial = word[0] as string;
            const list = this.words.get(initial) ?? [];
            list.push(word);
            this.words.set(initial, list);
          }
        }
      }
      this.passageTerms.set(p.id, terms);
      for (const t of terms) this.df.set(t, (this.df.get(t) ?? 0) + 1);
    }
    this.size = passages.length;
  }

  /** The question's terms, misspelt words replaced by the nearest known word's term. */
  queryTerms(question: string): string[] {
    const out: string[] = [];
    for (const word of this.analyzer.words(question)) {
      let term = this.analyzer.term(word);
      if (!this.df.has(term)) {
        const near = nearestWord(word, this.words);
        if (near) term = this.wordTerm.get(near) as string;
      }
      if (!out.includes(term)) out.push(term);
    }
    return out;
  }

  /** Inverse document frequency over passages (BM25's); a term no passage has weighs most. */
  weight(term: string): number {
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  has(passageId: string, term: string): boolean {
    return this.passageTerms.get(passageId)?.has(term) ?? false;
  }
}

interface IndexedPassage {
  id: string;
  title: string;
  heading: string;
  text: string;
}

/** What is cached under DATA_DIR: the documents and each language's index. */
export interface KnowledgeSnapshot {
  documents: KnowledgeDocument[];
  indexes: Record<string, AsPlainObject>;
}

/**
 * The bot's knowledge: documents, their passages and one index per language.
 *
 * ```ts
 * const kb = KnowledgeBase.build(documents);
 * const { hits } = kb.search('how long do refunds take', { channel: 'web' });
 * if (hits[0] && hits[0].confidence >= kb.minConfidence) answerWith(hits[0]);
 * ```
 */
export class KnowledgeBase {
  private readonly byId = new Map<string, KnowledgeDocument>();
  private readonly passages = new Map<string, Passage>();
  private readonly indexes: LanguageIndex[] = [];

  private constructor(
    readonly documents: KnowledgeDocument[],
    cached: Record<string, AsPlainObject> | undefined,
    readonly minConfidence = DEFAULT_MIN_CONFIDENCE,
  ) {
    const byLanguage = new Map<string, IndexedPassage[]>();
    for (const d of documents) {
      this.byId.set(d.id, d);
      for (const p of d.passages) {
        this.passages.set(p.id, p);
        const list = byLanguage.get(d.language) ?? [];
        list.push({
          id: p.id,
          title: d.title,
          heading: p.heading === d.title ? '' : p.heading,
          text: p.text,
        });
        byLanguage.set(d.language, list);
      }
    }
    for (const [language, list] of byLanguage) {
      this.indexes.push(new LanguageIndex(language, list, cached?.[language]));
    }
  }

  static build(documents: KnowledgeDocument[], minConfidence?: number): KnowledgeBase {
    return new KnowledgeBase(documents, undefined, minConfidence);
  }

  /** From a snapshot (the cache): the indexes are loaded, not rebuilt. */
  static restore(snapshot: KnowledgeSnapshot, minConfidence?: number): KnowledgeBase {
    return new KnowledgeBase(snapshot.documents, snapshot.indexes, minConfidence);
  }

  snapshot(): KnowledgeSnapshot {
    return {
      documents: this.documents,
      indexes: Object.fromEntries(this.indexes.map((i) => [i.language, i.search.toJSON()])),
    };
  }

  get size(): number {
    return this.documents.length;
  }

  /** The terms of `text` in a language, as questions and passages are analysed. */
  termsOf(language: string, text: string): string[] {
    const index = this.indexes.find((i) => i.language === language);
    return (index?.analyzer ?? new Analyzer(language)).terms(text);
  }

  document(id: string): KnowledgeDocument | undefined {
    return this.byId.get(id);
  }

  /** The best passages for a question, in every language the documents are written in. */
  search(question: string, options: SearchOptions = {}): SearchResult {
    const limit = options.limit ?? 3;
    let best: SearchResult = { terms: [], hits: [] };
    for (const index of this.indexes) {
      const terms = index.queryTerms(question);
      if (terms.length === 0) continue;
      const total = terms.reduce((sum, t) => sum + index.weight(t), 0);
      const found = index.search.search(terms.join(' '), {
        ...(options.channel !== undefined && {
          filter: (r) => this.allowed(r.id as string, options.channel as string),
        }),
      });
      const hits: KnowledgeHit[] = [];
      for (const r of found.slice(0, CANDIDATES)) {
        const passage = this.passages.get(r.id as string) as Passage;
        const matched = terms.filter((t) => index.has(passage.id, t));
        const covered = matched.reduce((sum, t) => sum + index.weight(t), 0);
        hits.push({
          passage,
          document: this.byId.get(passage.documentId) as KnowledgeDocument,
          score: r.score,
          confidence: total > 0 ? covered / total : 0,
          matched,
        });
      }
      // BM25 finds the candidates; among them, a passage that holds more of the question wins
      // (measured: 91 % top-1 source accuracy against 89 % by confidence alone, 89 % by BM25 alone).
      hits.sort((a, b) => b.score * (0.5 + b.confidence) - a.score * (0.5 + a.confidence));
      if ((hits[0]?.confidence ?? 0) > (best.hits[0]?.confidence ?? -1) || best.hits.length === 0) {
        best = { terms, hits: hits.slice(0, limit) };
      }
    }
    return best;
  }

  private allowed(passageId: string, channel: string): boolean {
    const doc = this.byId.get(this.passages.get(passageId)?.documentId ?? '');
    return !doc?.channels || doc.channels.includes(channel);
  }
}
