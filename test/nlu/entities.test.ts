import { EntityExtractor, localiseEntities } from '../../src/nlu/entities';

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
      { entity: 'money', value: { amount: 1299.5, currency: 'USD', text: '$1,299.50' }, text: '$1,299.50' },
      { entity: 'money', value: { amount: 20, currency: 'EUR', text: '€20.00' }, text: '20 euros' },
    ]);
    expect(found('send 12.5k USD', ['money'])).toEqual([
      { entity: 'money', value: { amount: 12500, currency: 'USD', text: '$12,500.00' }, text: '12.5k USD' },
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

  it("reads dates in the bot's time zone and writes them for its locale (daylight saving time too)", () => {
    // 23:30 UTC on 4 December is already 5 December in Berlin: "tomorrow" is the 6th there.
    const late = new Date('2026-12-04T23:30:00Z');
    const berlin = new EntityExtractor([], { language: 'en', timeZone: 'Europe/Berlin', locale: 'en-GB' });
    const [tomorrow] = berlin.extract('tomorrow at 8pm', ['datetime'], late);
    expect(tomorrow?.value).toEqual({
      start: '2026-12-06T19:00:00.000Z',
      grain: 'time',
      text: 'Sunday 6 December at 20:00',
    });
    // In March Berlin is on summer time (UTC+2), although the reference date is in winter.
    const [march] = berlin.extract('on 30 March at 10am', ['datetime'], late);
    expect(march?.value).toMatchObject({ start: '2027-03-30T08:00:00.000Z' });
    const newYork = new EntityExtractor([], {
      language: 'en',
      timeZone: 'America/New_York',
      locale: 'en-US',
    });
    const [ny] = newYork.extract('tomorrow at 8pm', ['datetime'], late);
    expect(ny?.value).toMatchObject({
      start: '2026-12-06T01:00:00.000Z',
      text: 'Saturday, December 5 at 8:00 PM',
    });
    const [day] = berlin.extract('next friday', ['datetime'], late);
    expect(day?.value).toMatchObject({ grain: 'day', text: 'Friday 11 December' });
  });

  it('localises what another extractor found (the flows apply the bot settings to the NLU)', () => {
    const found = new EntityExtractor([], { language: 'en', timeZone: 'UTC' }).extract(
      'tomorrow at 8pm for 20 euros',
      undefined,
      new Date('2026-12-04T12:00:00Z'),
    );
    const local = localiseEntities(found, {
      language: 'en',
      timeZone: 'Europe/Berlin',
      locale: 'de-DE',
      referenceDate: new Date('2026-12-04T12:00:00Z'),
    });
    expect(local.map((e) => e.value)).toEqual([
      { start: '2026-12-05T19:00:00.000Z', grain: 'time', text: 'Samstag, 5. Dezember um 20:00' },
      { amount: 20, currency: 'EUR', text: '20,00\u00a0€' },
    ]);
  });

  it('returns entities sorted by position, without overlaps', () => {
    const all = extractor.extract('Cancel ORD-55555, the trainers I paid £80 for on monday', undefined, now);
    expect(all.map((e) => e.entity)).toEqual(['order_number', 'product', 'money', 'delivery_date']);
  });
});
