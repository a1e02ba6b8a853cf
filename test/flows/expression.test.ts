/** The expression language: what it computes, what it refuses, and that it cannot reach code. */
import { Expression, ExpressionError, Template } from '../../src/flows';

const scope = {
  slots: { order: { status: 'shipped', items: ['mug', 'board'], total: 42 }, n: 3, name: 'Ada' },
  customer: { name: 'Ada Lovelace' },
  value: 'ORD-12345',
};
const ev = (src: string, s: Record<string, unknown> = scope) => Expression.parse(src).evaluate(s);

test.each([
  ["slots.order.status == 'shipped'", true],
  ["slots.order.status == 'SHIPPED'", true],
  ["slots.order.status != 'shipped'", false],
  ['slots.n > 2 and slots.n <= 3', true],
  ['not slots.missing', true],
  ['slots.missing == null', true],
  ['slots.n + 1', 4],
  ["'#' + slots.n", '#3'],
  ['-slots.n * 2 + 10 / 5', -4],
  ['(1 + 2) * 3', 9],
  ['slots.order.items[1]', 'board'],
  ['length(slots.order.items)', 2],
  ["'mug' in slots.order.items", true],
  ["slots.order.status in ['shipped', 'delivered']", true],
  ["matches(value, '^ORD-?\\d{5}$')", true],
  ["matches('ORD-123', '^ORD-?\\d{5}$')", false],
  ['slots.order.total >= 40 || slots.n > 10', true],
  ["lower(slots.name) == 'ada' && !empty(slots.order.items)", true],
  ["contains(customer.name, 'love')", true],
  ['1 / 0', null],
])('%s → %p', (src, expected) => {
  expect(ev(src)).toEqual(expected);
});

test.each([
  ["slots.order.status = 'shipped'", "unexpected character '=' (compare with '==')", 19],
  ['slots.n >', 'the expression ends too early', 9],
  ["'unclosed", 'unterminated string', 0],
  ['eval(1)', "unknown function 'eval'", 0],
  ['slots.n slots.n', "unexpected 'slots'", 8],
  ['slots.', "expected a name after '.'", 6],
])('%s is a syntax error at %#', (src, message, offset) => {
  try {
    Expression.parse(src);
    throw new Error('parsed');
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).message).toContain(message);
    expect((error as ExpressionError).offset).toBe(offset);
  }
});

test('only plain data is reachable: no prototypes, constructors or functions', () => {
  expect(ev('slots.constructor')).toBeUndefined();
  expect(ev('slots.__proto__')).toBeUndefined();
  expect(ev("slots['constructor']['constructor']")).toBeUndefined();
  expect(ev('slots.name.constructor')).toBeUndefined();
  expect(ev('slots.toString')).toBeUndefined();
  class Secret {
    password = 'hunter2';
  }
  expect(ev('slots.secret.password', { slots: { secret: new Secret() } })).toBeUndefined();
  expect(ev('slots.fn', { slots: { fn: () => 1 } })).toBeUndefined();
});

test('unknown variables are refused at parse time when the roots are given', () => {
  expect(() => Expression.parse('order.status', ['slots'])).toThrow(
    "unknown name 'order' (use one of: slots)",
  );
});

test('templates fill holes with expressions; missing values render as nothing', () => {
  const t = Template.parse(
    'Hi {{customer.name}}, {{slots.order.id}}order {{slots.order.status}} ({{length(slots.order.items)}} items)',
  );
  expect(t.render(scope)).toBe('Hi Ada Lovelace, order shipped (2 items)');
  expect(Template.parse('{{slots.n + 1}}').value(scope)).toBe(4);
  expect(() => Template.parse('Hi {{customer.name')).toThrow("'{{' without a closing '}}'");
});
