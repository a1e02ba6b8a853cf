/**
 * A bot's content, loaded from its folder: `intents/` (trained into the NLU), `flows/`, and
 * the actions its flows call (`actions/index.ts` or `.js`, exporting `actions`), and the
 * documents it answers from (`knowledge/`, see src/knowledge). Loading is
 * all or nothing: any problem in any file stops it with every file:line:column message.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../core/context';
import type { MiddlewareFn } from '../core/composer';
import { SourceFileError, type SourceProblem } from '../errors';
import {
  type KnowledgeBase,
  KnowledgeResponder,
  LlmClient,
  type LlmSettings,
  loadKnowledge,
} from '../knowledge';
import { type IntentSet, loadIntents, NluEngine, type NluResult } from '../nlu';
import { localiseEntities } from '../nlu/entities';
import { type Action, FlowEngine } from './engine';
import { collectFlows, type HandoffTeams, sortProblems } from './loader';
import type { FlowSet } from './types';
import { stateSlot } from '../core/state';

export interface BotContent {
  dir: string;
  intents: IntentSet | null;
  nlu: NluEngine | null;
  flows: FlowSet;
  actions: Record<string, Action>;
  /** The `knowledge/` documents, indexed; null without any. */
  knowledge: KnowledgeBase | null;
}

export interface LoadBotOptions {
  /** NLU model cache (content-hashed). */
  cacheDir?: string;
  /** Actions registered in code; they win over the bot folder's `actions/`. */
  actions?: Record<string, Action>;
  /** Skip training (validate). */
  train?: boolean;
  /** Told whether the NLU model came from the cache or was trained. */
  onModel?: (source: 'cache' | 'trained') => void;
  /** handoff.yml's teams: handoff steps naming another team are warned about (validate). */
  teams?: HandoffTeams;
  /** Knowledge index cache (content-hashed). */
  knowledgeCacheDir?: string;
  /** Where TypeScript actions are kept once transpiled (by content), so a restart needs no compiler. */
  actionsCacheDir?: string;
  /** A language model that composes knowledge answers (LLM_BASE_URL…); without it, the passage answers. */
  llm?: LlmSettings & { botName?: string };
}

/** Whether `dir` holds bot content: an `intents/`, `flows/` or `knowledge/` folder (the one list; the CLI adds handoff.yml). */
export function hasBotContent(dir: string): boolean {
  return ['intents', 'flows', 'knowledge'].some((sub) => existsSync(path.join(dir, sub)));
}

/** Reads the bot's actions module, if it has one (fresh on every call, for hot reload). */
export function loadActions(botDir: string, options: { cacheDir?: string } = {}): Record<string, Action> {
  const dir = path.resolve(botDir);
  transpileCacheDir = options.cacheDir;
  const candidates = ['actions/index.ts', 'actions/index.js', 'actions.ts', 'actions.js'].map((f) =>
    path.join(dir, f),
  );
  const file = candidates.find((f) => existsSync(f) && (f.endsWith('.js') || canRequireTypeScript()));
  if (!file) return {};
  for (const key of Object.keys(require.cache))
    if (key.startsWith(path.join(dir, 'actions'))) delete require.cache[key];
  const mod = require(file) as { actions?: Record<string, Action>; default?: Record<string, Action> };
  return { ...(mod.default ?? {}), ...(mod.actions ?? {}) };
}

/** The NLU's whole reading of this message (intent ranking, entities), for middleware after it. */
export const nluResult = stateSlot<NluResult>('nluResult');

/** Where {@link transpiled} keeps its output (set by {@link loadActions}; none: no cache). */
let transpileCacheDir: string | undefined;

/**
 * TypeScript actions load where a TS loader is active (jest, `node -r …`), else transpiled with
 * `typescript`, which loads only when an action file changed since its output was cached.
 */
function canRequireTypeScript(): boolean {
  if (require.extensions['.ts']) return true;
  let version: string;
  try {
    version = (require('typescript/package.json') as { version: string }).version;
  } catch {
    return false;
  }
  require.extensions['.ts'] = (module, filename) => {
    const code = transpiled(readFileSync(filename, 'utf8'), filename, version);
    (module as unknown as { _compile(code: string, file: string): void })._compile(code, filename);
  };
  return true;
}

/** `source` as CommonJS, from the cache when this compiler version already transpiled it. */
function transpiled(source: string, filename: string, version: string): string {
  const key = createHash('sha256').update(`${version}\0${filename}\0${source}`).digest('hex');
  const cached = transpileCacheDir ? path.join(transpileCacheDir, `${key}.js`) : undefined;
  if (cached && existsSync(cached)) return readFileSync(cached, 'utf8');
  const ts = require('typescript') as typeof import('typescript');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
    fileName: filename,
  });
  if (cached && transpileCacheDir) {
    try {
      mkdirSync(transpileCacheDir, { recursive: true });
      const partial = `${cached}.${process.pid}.tmp`;
      writeFileSync(partial, outputText);
      renameSync(partial, cached);
    } catch {
      // A read-only data folder: transpile again next time.
    }
  }
  return outputText;
}

/**
 * Loads and checks everything; trains the NLU unless `train: false`.
 *
 * @throws SourceFileError listing every problem in intents and flows files.
 */
export async function loadBot(botDir: string, options: LoadBotOptions = {}): Promise<BotContent> {
  const dir = path.resolve(botDir);
  const problems: SourceProblem[] = [];
  let intents: IntentSet | null = null;
  const intentsDir = path.join(dir, 'intents');
  if (existsSync(intentsDir)) {
    try {
      intents = await loadIntents(intentsDir);
    } catch (error) {
      if (!(error instanceof SourceFileError)) throw error;
      problems.push(...error.problems);
    }
  }
  let knowledge: KnowledgeBase | null = null;
  try {
    knowledge = await loadKnowledge(path.join(dir, 'knowledge'), {
      language: intents?.language ?? 'en',
      ...(options.knowledgeCacheDir ? { cacheDir: options.knowledgeCacheDir } : {}),
    });
  } catch (error) {
    if (!(error instanceof SourceFileError)) throw error;
    problems.push(...error.problems);
  }
  const actions = {
    ...loadActions(dir, options.actionsCacheDir ? { cacheDir: options.actionsCacheDir } : {}),
    ...options.actions,
  };
  const flows = await collectFlows(
    path.join(dir, 'flows'),
    {
      ...(intents ? { intents } : {}),
      intentsBroken: problems.length > 0,
      actions: Object.keys(actions),
      ...(options.teams && { teams: options.teams }),
    },
    problems,
  );
  if (problems.length > 0) {
    const knowledgeDir = path.join(dir, 'knowledge');
    const code = problems.some((p) => p.file.startsWith(intentsDir))
      ? 'SB_INTENTS_INVALID'
      : problems.every((p) => p.file.startsWith(knowledgeDir))
        ? 'SB_KNOWLEDGE_INVALID'
        : 'SB_FLOWS_INVALID';
    throw new SourceFileError(code, sortProblems(problems));
  }
  const nlu =
    intents && options.train !== false
      ? await NluEngine.train(intents, {
          ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
          ...(options.onModel ? { onModel: options.onModel } : {}),
        })
      : null;
  return { dir, intents, nlu, flows, actions, knowledge };
}

/** Runs a bot's content: the NLU then the flows, swappable at run time (hot reload). */
export class FlowRuntime {
  private current: { content: BotContent; engine: FlowEngine } | undefined;
  private readonly llm: LlmClient | undefined;

  constructor(
    readonly dir: string,
    private readonly options: LoadBotOptions & { versionsDir?: string } = {},
  ) {
    this.llm = options.llm ? new LlmClient(options.llm, options.llm.botName) : undefined;
  }

  /** Closes the language model's connections. */
  async close(): Promise<void> {
    await this.llm?.close();
  }

  get content(): BotContent | undefined {
    return this.current?.content;
  }

  get engine(): FlowEngine | undefined {
    return this.current?.engine;
  }

  /** Loads (or reloads) the bot's files. On error the running content stays as it was. */
  async load(): Promise<BotContent> {
    const content = await loadBot(this.dir, this.options);
    const engine = new FlowEngine({
      flows: content.flows,
      actions: content.actions,
      ...(content.intents ? { intents: content.intents } : {}),
      ...(content.nlu ? { nlu: content.nlu } : {}),
      ...(this.options.versionsDir ? { versionsDir: this.options.versionsDir } : {}),
      ...(content.knowledge ? { knowledge: new KnowledgeResponder(content.knowledge, this.llm) } : {}),
    });
    this.current = { content, engine };
    return content;
  }

  /** Understands the message (stored as `ctx.nlu`), then lets the flows answer (when the bot owns it). */
  middleware(): MiddlewareFn<Context> {
    return async (ctx, next) => {
      const current = this.current;
      if (!current) throw new Error('the bot content is not loaded (call FlowRuntime.load() first)');
      let result: NluResult | undefined;
      const content = ctx.message.content;
      const text = ctx.text ?? (content.type === 'postback' ? (content.title ?? content.payload) : undefined);
      // Also while a person owns the conversation: the desk shows intent and sentiment.
      if (current.content.nlu && text) {
        const parsed = current.content.nlu.parse(text);
        // Dates and amounts as the bot's settings read and write them (time zone, locale).
        result = { ...parsed, entities: localiseEntities(parsed.entities, current.engine.extractOptions) };
        ctx.set(nluResult, result);
        ctx.nlu = {
          intent: result.intent,
          confidence: result.confidence,
          entities: result.entities.map((e) => ({ entity: e.entity, value: e.value, text: e.text })),
          sentiment: { score: result.sentiment.score, label: result.sentiment.label },
        };
      }
      await current.engine.handle(ctx, result);
      await next();
    };
  }
}
