/**
 * Templates: text with `{{ expression }}` holes, e.g. `Your order {{slots.order_id}} has
 * shipped`. Holes use the safe {@link Expression} language; a missing value renders as
 * nothing.
 *
 * @module
 */
import { Expression, ExpressionError, stringify } from './expression';

type Part = string | { expr: Expression };

export class Template {
  private constructor(
    readonly source: string,
    private readonly parts: Part[],
  ) {}

  /** @throws ExpressionError whose offset is inside `source`. */
  static parse(source: string, roots?: readonly string[]): Template {
    const parts: Part[] = [];
    let i = 0;
    while (i < source.length) {
      const open = source.indexOf('{{', i);
      if (open < 0) {
        parts.push(source.slice(i));
        break;
      }
      if (open > i) parts.push(source.slice(i, open));
      const close = source.indexOf('}}', open + 2);
      if (close < 0) throw new ExpressionError("'{{' without a closing '}}'", open);
      const inner = source.slice(open + 2, close);
      if (inner.trim() === '') throw new ExpressionError('empty {{ }}', open);
      try {
        parts.push({ expr: Expression.parse(inner, roots) });
      } catch (error) {
        if (error instanceof ExpressionError)
          throw new ExpressionError(error.message, open + 2 + error.offset);
        throw error;
      }
      i = close + 2;
    }
    return new Template(source, parts);
  }

  get isStatic(): boolean {
    return this.parts.every((p) => typeof p === 'string');
  }

  render(scope: Record<string, unknown>): string {
    return this.parts.map((p) => (typeof p === 'string' ? p : stringify(p.expr.evaluate(scope)))).join('');
  }

  /** A template that is exactly one hole yields the raw value (a number stays a number); else text. */
  value(scope: Record<string, unknown>): unknown {
    const only = this.parts.length === 1 ? this.parts[0] : undefined;
    if (only && typeof only !== 'string') return only.expr.evaluate(scope);
    return this.render(scope);
  }
}
