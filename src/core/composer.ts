/**
 * Middleware: one type, `(ctx, next) => Promise<unknown>`, for everything that handles
 * a message (NLU, flows, handoff, plugins). A {@link Composer} collects middleware and
 * filters; `next` may be called at most once per middleware.
 *
 * ```ts
 * const bot = new Composer<Context>();
 * bot.on('text', async (ctx, next) => { if (ctx.text === 'hi') await ctx.reply('Hello!'); else await next(); });
 * ```
 *
 * @module
 */
import type { Content, ContentType, Message } from '../model';
import type { Context } from './context';

/**
 * The context of a message whose content is of type `T` (what {@link Composer.on} hands its
 * middleware): `ctx.message.content` is that content, `ctx.text` a string for `'text'`,
 * `ctx.payload` a string for `'postback'`.
 */
export type ContextOf<C extends Context, T extends ContentType> = C & {
  readonly message: Message & { content: Extract<Content, { type: T }> };
} & ([T] extends ['text'] ? { readonly text: string } : unknown) &
  ([T] extends ['postback'] ? { readonly payload: string } : unknown);

/** The context {@link Composer.hears} hands its middleware: the text, and what matched in it. */
export type HearsContext<C extends Context> = ContextOf<C, 'text'> & { match: RegExpMatchArray };

/** `pattern` as a regular expression: a string matches the whole text (trimmed), in any case. */
function patternOf(pattern: string | RegExp): RegExp {
  if (typeof pattern !== 'string') return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  return new RegExp(`^\\s*${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'iu');
}

export type NextFunction = () => Promise<void>;
export type MiddlewareFn<C extends Context = Context> = (ctx: C, next: NextFunction) => unknown;
export interface MiddlewareObj<C extends Context = Context> {
  middleware(): MiddlewareFn<C>;
}
export type Middleware<C extends Context = Context> = MiddlewareFn<C> | MiddlewareObj<C>;

const pass: MiddlewareFn<Context> = (_ctx, next) => next();

function flatten<C extends Context>(mw: Middleware<C>): MiddlewareFn<C> {
  return typeof mw === 'function' ? mw : mw.middleware();
}

/** Runs `first`, whose `next` runs `second`. Throws if a middleware calls `next` twice. */
function concat<C extends Context>(first: MiddlewareFn<C>, second: MiddlewareFn<C>): MiddlewareFn<C> {
  return async (ctx, next) => {
    let called = false;
    await first(ctx, async () => {
      if (called) throw new Error('next() called twice in one middleware');
      called = true;
      await second(ctx, next);
    });
  };
}

/**
 * Composes middleware, left to right, into one. The chain ends in a pass-through, so
 * every middleware — the last one too — gets a guarded `next`.
 */
export function compose<C extends Context>(middleware: Middleware<C>[]): MiddlewareFn<C> {
  return middleware
    .map(flatten)
    .reduceRight<MiddlewareFn<C>>((rest, mw) => concat(mw, rest), pass as MiddlewareFn<C>);
}

/** A stack of middleware with a few filters. The bot itself is one. */
export class Composer<C extends Context = Context> implements MiddlewareObj<C> {
  private handler: MiddlewareFn<C>;

  constructor(...middleware: Middleware<C>[]) {
    this.handler = compose(middleware);
  }

  middleware(): MiddlewareFn<C> {
    return this.handler;
  }

  /** Adds middleware that runs for every message. */
  use(...middleware: Middleware<C>[]): this {
    this.handler = concat(this.handler, compose(middleware));
    return this;
  }

  /**
   * Runs `middleware` only when `predicate` holds; otherwise passes on. A type guard narrows
   * the context the middleware sees.
   */
  filter<D extends C>(predicate: (ctx: C) => ctx is D, ...middleware: Middleware<D>[]): this;
  filter(predicate: (ctx: C) => boolean, ...middleware: Middleware<C>[]): this;
  filter(predicate: (ctx: C) => boolean, ...middleware: Middleware<C>[]): this {
    const inner = compose(middleware);
    return this.use((ctx, next) => (predicate(ctx) ? inner(ctx, next) : next()));
  }

  /**
   * Runs `middleware` for messages whose content is of one of the given kinds; the context is
   * narrowed to them (`on('text')`: `ctx.text` is a string).
   */
  on<T extends ContentType>(types: T | T[], ...middleware: Middleware<ContextOf<C, T>>[]): this {
    const wanted = new Set<ContentType>(Array.isArray(types) ? types : [types]);
    return this.filter((ctx): ctx is ContextOf<C, T> => wanted.has(ctx.message.content.type), ...middleware);
  }

  /**
   * Runs `middleware` for text matching `pattern` (a string matches the whole text, trimmed, in
   * any case); `ctx.match` holds what matched (a regular expression's groups).
   */
  hears(pattern: string | RegExp, ...middleware: Middleware<HearsContext<C>>[]): this {
    const re = patternOf(pattern);
    return this.filter(
      (ctx): ctx is HearsContext<C> => {
        const match = ctx.text === undefined ? null : ctx.text.match(re);
        if (!match) return false;
        ctx.match = match;
        return true;
      },
      ...middleware,
    );
  }
}
