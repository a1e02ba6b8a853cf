import { EntityExtractor } from './entities';

const extractor = new EntityExtractor(
  [
    { name: 'order_number', kind: 'regex', pattern: String.raw`ORD-?\d{5}`, caseSensitive: false },
    {
      name: 'product',
      kind: 'list',
      fuzzy: true,
      values: [
        { value: 'shoes', synonyms: ['sneakers', 'trainers', 'running shoes'] },
        { value: 'bag', synonyms: ['handbag', 'purse'] },
      ],
    },
    {
      name: 'size',
      kind: 'list',
      fuzzy: false,
      values: [
        { value: 'small', synonyms: ['s'] },
        { value: 'large', synonyms: ['l'] },
      ],
    },
    { name: 'delivery_date', kind: 'builtin', builtin: 'datetime' },
  ],
  { language: 'en' },
);
// Thursday 14 March 2024, 10:00 local time.
const now = new Date(2024, 2, 14, 10, 0, 0);

const found = (text: string, names?: string[]) =>
  extractor.extract(text, names, now).map(({ entity, value, text: t }) => ({ entity, value, text: t }));

describe('EntityExtractor', () => {
  it('finds an order number in lower case and keeps exact offsets into the original text', () => {
    const text = 'Where is my order ord-12345??';
    const [entity] = extractor.extract(text, ['order_number'], now);
    expect(entity).toMatchObject({ entity: 'order_number', kind: 'regex', value: 'ord-12345' });
    expect(text.slice(entity?.start, entity?.end)).toBe('ord-12345');
  });

  it('prefers the declared regex over the number inside it', () => {
    expect(found('status of ORD12345 please')).toEqual([
      { entity: 'order_number', value: 'ORD12345', text: 'ORD12345' },
    ]);
  });

  it('maps synonyms, plurals, mixed case and typos to the canonical list value', () => {
    expect(found('I bought two pairs of SNEAKERS', ['product'])).toEqual([
      { entity: 'product', value: 'shoes', text: 'SNEAKERS' },
    ]);
    expect(found('the sneekers are too small', ['product'])).toEqual([
      { entity: 'product', value: 'shoes', text: 'sneekers' },
    ]);
    expect(found('my Running Sheos broke', ['product'])).toEqual([
      { entity: 'product', value: 'shoes', text: 'Running Sheos' },
    ]);
    expect(found('where is my handbga', ['product'])).toEqual([
      { entity: 'product', value: 'bag', text: 'handbga' },
    ]);
    expect(found('two purses and a handbag', ['product']).map((e) => e.value)).toEqual(['bag', 'bag']);
  });

  it('does not fuzz short words or lists that opt out', () => {
    expect(found('a bog standard question', ['product'])).toEqual([]);
    expect(found('size l please', ['size'])).toEqual([{ entity: 'size', value: 'large', text: 'l' }]);
    expect(found('smal', ['size'])).toEqual([]);
  });

  it('extracts emails, phone numbers and urls', () => {
    expect(found('mail John.Doe@Example.com or call +44 20 7946 0958, see www.shop.example/help.')).toEqual([
      { entity: 'email', value: 'john.doe@example.com', text: 'John.Doe@Example.com' },
      { entity: 'phone', value: '+442079460958', text: '+44 20 7946 0958' },
      { entity: 'url', value: 'https://www.shop.example/help', text: 'www.shop.example/help' },
    ]);
    expect(found('my number is (555) 123-4567')).toEqual([
      { entity: 'phone', value: '5551234567', text: '(555) 123-4567' },
    ]);
  });

  it('extracts money with symbols, codes and words, and plain numbers', () => {
    expect(found('I was charged $1,299.50 instead of 20 euros', ['money'])).toEqual([
      { entity: 'money', value: { amount: 1299.5, currency: 'USD' }, text: '$1,299.50' },
      { entity: 'money', value: { amount: 20, currency: 'EUR' }, text: '20 euros' },
    ]);
    expect(found('send 12.5k USD', ['money'])).toEqual([
      { entity: 'money', value: { amount: 12500, currency: 'USD' }, text: '12.5k USD' },
    ]);
    expect(found('I need 3 of them, maybe twenty-five', ['number'])).toEqual([
      { entity: 'number', value: 3, text: '3' },
      { entity: 'number', value: 25, text: 'twenty-five' },
    ]);
  });

  it('resolves relative dates and times ("tomorrow at 5" means 17:00)', () => {
    const [when] = extractor.extract('can you deliver TOMORROW at 5?', ['delivery_date'], now);
    expect(when?.text).toBe('TOMORROW at 5');
    const start = new Date((when?.value as { start: string } | undefined)?.start ?? '');
    expect([start.getFullYear(), start.getMonth(), start.getDate(), start.getHours()]).toEqual([
      2024, 2, 15, 17,
    ]);
    const [friday] = extractor.extract('next friday works', ['delivery_date'], now);
    expect(new Date((friday?.value as { start: string } | undefined)?.start ?? '').getDate()).toBe(22);
  });

  it('returns entities sorted by position, without overlaps', () => {
    const all = extractor.extract('Cancel ORD-55555, the trainers I paid £80 for on monday', undefined, now);
    expect(all.map((e) => e.entity)).toEqual(['order_number', 'product', 'money', 'delivery_date']);
  });
});
