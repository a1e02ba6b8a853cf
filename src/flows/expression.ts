/**
 * The expression language of `branch`, `validate` and templates: a small, safe subset of
 * JavaScript-like syntax, parsed into a tree and evaluated by walking it. There is no `eval`,
 * no `Function`, no property access outside plain data, no assignment and no loops, so a flow
 * file can never run code.
 *
 * ```text
 * slots.order.status == 'shipped' and not slots.express
 * nlu.sentiment.label == "negative" or length(slots.items) > 3
 * matches(value, '^ORD-?\d{5}$')
 * ```
 *
 * @module
 */
import { formatDate, formatMoney, formatTime, type LocaleSettings, toDate } from '../util/locale-format';

/** A syntax error in an expression; `offset` is 0-based inside the expression's text. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'list'; items: Node[] }
  | { kind: 'path'; root: string; at: number; parts: (string | Node)[] }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'unary'; op: '-' | 'not'; arg: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node };

interface Token {
  type: 'num' | 'str' | 'id' | 'op' | 'end';
  value: string;
  at: number;
}

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'num', value: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'id', value: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let out = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1] as string;
          // Only quotes and backslashes are escapes; `\d` stays `\d`, so regexes read naturally.
          out += e === c || e === '\\' ? e : `\\${e}`;
          j += 2;
        } else out += src[j++];
      }
      if (j >= src.length) throw new ExpressionError('unterminated string', i);
      tokens.push({ type: 'str', value: out, at: i });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) {
      const hint = c === '=' ? " (compare with '==')" : '';
      throw new ExpressionError(`unexpected character '${c}'${hint}`, i);
    }
    tokens.push({ type: 'op', value: op, at: i });
    i += op.length;
  }
  tokens.push({ type: 'end', value: '', at: src.length });
  return tokens;
}

/** Functions an expression may call. Pure, total on any input, and cheap. */
const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  /** `matches(text, 'regex')`: the regex (case-insensitive) is found in the text. */
  matches: (s, re) => typeof s === 'string' && typeof re === 'string' && safeRegex(re).test(s),
  length: (x) =>
    typeof x === 'string' || Array.isArray(x) ? x.length : isPlainObject(x) ? Object.keys(x).length : 0,
  lower: (s) => (typeof s === 'string' ? s.toLowerCase() : s),
  upper: (s) => (typeof s === 'string' ? s.toUpperCase() : s),
  trim: (s) => (typeof s === 'string' ? s.trim() : s),
  contains: (a, b) =>
    typeof a === 'string'
      ? typeof b === 'string' && a.toLowerCase().includes(b.toLowerCase())
      : Array.isArray(a) && a.some((x) => equal(x, b)),
  number: (x) => (typeof x === 'number' ? x : Number.parseFloat(String(x))),
  text: (x) => stringify(x),
  empty: (x) => x === undefined || x === null || x === '' || (Array.isArray(x) && x.length === 0),
  round: (x, d) => {
    const f = 10 ** (typeof d === 'number' ? d : 0);
    return typeof x === 'number' ? Math.round(x * f) / f : x;
  },
  join: (list, sep) =>
    Array.isArray(list) ? list.map(stringify).join(typeof sep === 'string' ? sep : ', ') : list,
};

/**
 * Where a scope carries the bot's {@link LocaleSettings} for the formatting functions. A symbol:
 * no expression can name it.
 */
export const LOCALE = Symbol('locale');

const DEFAULT_LOCALE: LocaleSettings = { timeZone: 'UTC', locale: 'en' };

/**
 * Formatting functions: values as the customer reads them, in the bot's time zone and locale
 * (`settings:` in a flows file). Anything they cannot format is returned as it is.
 */
const FORMATTERS: Record<string, (locale: LocaleSettings, ...args: unknown[]) => unknown> = {
  /** `date(slots.when)`: "Saturday 5 December 2026" (a datetime value, an ISO date or epoch ms). */
  date: (locale, x) => {
    const d = toDate(x);
    return d ? formatDate(d, locale) : x;
  },
  /** `time(slots.when)`: "20:00" (en-GB), "8:00 PM" (en-US). */
  time: (locale, x) => {
    const d = toDate(x);
    return d ? formatTime(d, locale) : x;
  },
  /** `money(149)`, `money(slots.price, 'USD')`, `money(slots.budget)` (a money value): "€149.00". */
  money: (locale, x, currency) =>
    formatMoney(x, locale, typeof currency === 'string' ? currency : undefined) ?? x,
};

/** The names expressions can call, for docs and error hints. */
export const EXPRESSION_FUNCTIONS = [...Object.keys(FUNCTIONS), ...Object.keys(FORMATTERS)];

const regexCache = new Map<string, RegExp>();
function safeRegex(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    re = new RegExp(source, 'iu');
    regexCache.set(source, re);
  }
  return re;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }
  private next(): Token {
    return this.tokens[this.i++] as Token;
  }
  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.type === 'op' && ops.includes(t.value);
  }
  private isWord(...words: string[]): boolean {
    const t = this.peek();
    return t.type === 'id' && words.includes(t.value);
  }
  private expect(op: string): void {
    const t = this.next();
    if (t.type !== 'op' || t.value !== op) {
      throw new ExpressionError(`expected '${op}' but found ${describe(t)}`, t.at);
    }
  }

  parse(): Node {
    const node = this.or();
    const t = this.peek();
    if (t.type !== 'end') {
      const hint = t.type === 'op' && t.value === '=' ? " (compare with '==')" : '';
      throw new ExpressionError(`unexpected ${describe(t)}${hint}`, t.at);
    }
    return node;
  }

  private or(): Node {
    let left = this.and();
    while (this.isOp('||') || this.isWord('or')) {
      this.next();
      left = { kind: 'binary', op: 'or', left, right: this.and() };
    }
    return left;
  }
  private and(): Node {
    let left = this.not();
    while (this.isOp('&&') || this.isWord('and')) {
      this.next();
      left = { kind: 'binary', op: 'and', left, right: this.not() };
    }
    return left;
  }
  private not(): Node {
    if (this.isOp('!') || this.isWord('not')) {
      this.next();
      return { kind: 'unary', op: 'not', arg: this.not() };
    }
    return this.comparison();
  }
  private comparison(): Node {
    const left = this.additive();
    if (this.isOp('==', '!=', '<', '<=', '>', '>=')) {
      const op = this.next().value;
      return { kind: 'binary', op, left, right: this.additive() };
    }
    if (this.isWord('in')) {
      this.next();
      return { kind: 'binary', op: 'in', left, right: this.additive() };
    }
    return left;
  }
  private additive(): Node {
    let left = this.multiplicative();
    while (this.isOp('+', '-')) {
      const op = this.next().value;
      left = { kind: 'binary', op, left, right: this.multiplicative() };
    }
    return left;
  }
  private multiplicative(): Node {
    let left = this.unary();
    while (this.isOp('*', '/', '%')) {
      const op = this.next().value;
      left = { kind: 'binary', op, left, right: this.unary() };
    }
    return left;
  }
  private unary(): Node {
    if (this.isOp('-')) {
      this.next();
      return { kind: 'unary', op: '-', arg: this.unary() };
    }
    return this.primary();
  }
  private primary(): Node {
    const t = this.next();
    if (t.type === 'num') return { kind: 'literal', value: Number(t.value) };
    if (t.type === 'str') return { kind: 'literal', value: t.value };
    if (t.type === 'op' && t.value === '(') {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (t.type === 'op' && t.value === '[') {
      const items: Node[] = [];
      if (!this.isOp(']')) {
        do items.push(this.or());
        while (this.isOp(',') && this.next());
      }
      this.expect(']');
      return { kind: 'list', items };
    }
    if (t.type === 'id') {
      if (t.value === 'true' || t.value === 'false') return { kind: 'literal', value: t.value === 'true' };
      if (t.value === 'null') return { kind: 'literal', value: null };
      if (['and', 'or', 'not', 'in'].includes(t.value)) {
        throw new ExpressionError(`'${t.value}' needs a value before it`, t.at);
      }
      if (this.isOp('(')) {
        // Own names only: `constructor` or `toString` are not functions of the language.
        if (!Object.hasOwn(FUNCTIONS, t.value) && !Object.hasOwn(FORMATTERS, t.value)) {
          throw new ExpressionError(
            `unknown function '${t.value}' (known: ${EXPRESSION_FUNCTIONS.join(', ')})`,
            t.at,
          );
        }
        this.next();
        const args: Node[] = [];
        if (!this.isOp(')')) {
          do args.push(this.or());
          while (this.isOp(',') && this.next());
        }
        this.expect(')');
        return { kind: 'call', name: t.value, args };
      }
      const parts: (string | Node)[] = [];
      for (;;) {
        if (this.isOp('.')) {
          this.next();
          const name = this.next();
          if (name.type !== 'id' && name.type !== 'num') {
            throw new ExpressionError(`expected a name after '.' but found ${describe(name)}`, name.at);
          }
          parts.push(name.value);
        } else if (this.isOp('[')) {
          this.next();
          parts.push(this.or());
          this.expect(']');
        } else break;
      }
      return { kind: 'path', root: t.value, at: t.at, parts };
    }
    throw new ExpressionError(
      t.type === 'end' ? 'the expression ends too early' : `unexpected ${describe(t)}`,
      t.at,
    );
  }
}

function describe(t: Token): string {
  if (t.type === 'end') return 'the end of the expression';
  if (t.type === 'str') return 'a string';
  return `'${t.value}'`;
}

/** A parsed expression: evaluate it as often as you like. */
export class Expression {
  private constructor(
    readonly source: string,
    private readonly root: Node,
  ) {}

  /**
   * Parses `source`. Variables must be among `roots` when given (e.g. `slots`, `customer`).
   *
   * @throws ExpressionError with the offset of the problem.
   */
  static parse(source: string, roots?: readonly string[]): Expression {
    const root = new Parser(tokenize(source)).parse();
    if (roots) checkRoots(root, roots);
    return new Expression(source, root);
  }

  evaluate(scope: Record<string, unknown>): unknown {
    return evaluate(this.root, scope);
  }
}

function checkRoots(node: Node, roots: readonly string[]): void {
  switch (node.kind) {
    case 'path':
      if (!roots.includes(node.root)) {
        throw new ExpressionError(`unknown name '${node.root}' (use one of: ${roots.join(', ')})`, node.at);
      }
      for (const p of node.parts) if (typeof p !== 'string') checkRoots(p, roots);
      return;
    case 'list':
      for (const n of node.items) checkRoots(n, roots);
      return;
    case 'call':
      for (const n of node.args) checkRoots(n, roots);
      return;
    case 'unary':
      checkRoots(node.arg, roots);
      return;
    case 'binary':
      checkRoots(node.left, roots);
      checkRoots(node.right, roots);
      return;
    case 'literal':
      return;
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  // Realm-independent (structuredClone and vm contexts have their own Object.prototype): plain
  // data has no prototype, or one whose own prototype is null. Class instances are refused.
  const proto = Object.getPrototypeOf(x);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Reads a property of plain data only: no prototype chain, no functions, no getters on classes. */
function member(target: unknown, key: unknown): unknown {
  if (Array.isArray(target)) {
    if (key === 'length') return target.length;
    return typeof key === 'number' && Number.isInteger(key) ? target[key] : undefined;
  }
  if (typeof target === 'string' && key === 'length') return target.length;
  if (!isPlainObject(target)) return undefined;
  const k = String(key);
  if (!Object.hasOwn(target, k)) return undefined;
  const value = target[k];
  return typeof value === 'function' ? undefined : value;
}

function truthy(x: unknown): boolean {
  if (Array.isArray(x)) return x.length > 0;
  return Boolean(x);
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return a === b;
}

function num(x: unknown): number {
  return typeof x === 'number' ? x : Number(x);
}

function evaluate(node: Node, scope: Record<string, unknown>): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'list':
      return node.items.map((n) => evaluate(n, scope));
    case 'path': {
      let value = Object.hasOwn(scope, node.root) ? scope[node.root] : undefined;
      for (const p of node.parts) value = member(value, typeof p === 'string' ? p : evaluate(p, scope));
      return value;
    }
    case 'call': {
      const args = node.args.map((n) => evaluate(n, scope));
      const format = Object.hasOwn(FORMATTERS, node.name) ? FORMATTERS[node.name] : undefined;
      if (format) {
        const locale = (scope as { [LOCALE]?: LocaleSettings })[LOCALE] ?? DEFAULT_LOCALE;
        return format(locale, ...args);
      }
      const fn = FUNCTIONS[node.name] as (...args: unknown[]) => unknown;
      return fn(...args);
    }
    case 'unary': {
      const v = evaluate(node.arg, scope);
      return node.op === 'not' ? !truthy(v) : -num(v);
    }
    case 'binary': {
      if (node.op === 'and') return truthy(evaluate(node.left, scope)) && truthy(evaluate(node.right, scope));
      if (node.op === 'or') {
        const l = evaluate(node.left, scope);
        return truthy(l) ? l : evaluate(node.right, scope);
      }
      const l = evaluate(node.left, scope);
      const r = evaluate(node.right, scope);
      switch (node.op) {
        case '==':
          return equal(l, r);
        case '!=':
          return !equal(l, r);
        case '<':
          return num(l) < num(r);
        case '<=':
          return num(l) <= num(r);
        case '>':
          return num(l) > num(r);
        case '>=':
          return num(l) >= num(r);
        case 'in':
          return Array.isArray(r)
            ? r.some((x) => equal(x, l))
            : typeof r === 'string' && typeof l === 'string' && r.toLowerCase().includes(l.toLowerCase());
        case '+':
          return typeof l === 'number' && typeof r === 'number' ? l + r : stringify(l) + stringify(r);
        case '-':
          return num(l) - num(r);
        case '*':
          return num(l) * num(r);
        case '/':
          return num(r) === 0 ? null : num(l) / num(r);
        case '%':
          return num(r) === 0 ? null : num(l) % num(r);
      }
      return undefined;
    }
  }
}

/** How values appear in templates: nothing for missing values, lists joined with commas. */
export function stringify(x: unknown): string {
  if (x === undefined || x === null) return '';
  if (Array.isArray(x)) return x.map(stringify).join(', ');
  if (typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (typeof o.text === 'string') return o.text;
    return JSON.stringify(x);
  }
  return String(x);
}
