import { analyseSentiment } from '../../src/nlu/sentiment';

const label = (text: string, language?: string) => analyseSentiment(text, language).label;

describe('analyseSentiment', () => {
  it('reads angry and happy customers, whatever the case', () => {
    expect(label('My package is LATE again and nobody answers. TERRIBLE service!!')).toBe('negative');
    expect(label('this does not work')).toBe('negative');
    expect(label('Great, thanks for the quick help 👍')).toBe('positive');
    expect(label('thx :)')).toBe('positive');
  });

  it('treats requests as neutral', () => {
    expect(label('where is my order')).toBe('neutral');
    expect(label('I want to return my shoes please')).toBe('neutral');
    expect(label('cancel my booking')).toBe('neutral');
    expect(label('my order was cancelled, can I reorder?')).toBe('neutral');
  });

  it('scopes negation to the words that follow it', () => {
    expect(label('I am not happy with this')).toBe('negative');
    expect(label('not bad at all, thanks!')).toBe('positive');
    // A negation in one clause does not flip the next one.
    expect(analyseSentiment('no problem. you were great').score).toBeGreaterThan(0.3);
  });

  it('weights what follows "but"', () => {
    expect(label('the app is nice but the delivery was awful')).toBe('negative');
  });

  it('does not shrink with message length', () => {
    const short = analyseSentiment('terrible').score;
    const long = analyseSentiment(
      'I ordered a jacket two weeks ago for my trip next month and it is terrible',
    ).score;
    expect(long).toBeCloseTo(short, 1);
  });

  it('uses natural’s lexicons for other languages and is neutral where it has none', () => {
    expect(label('el servicio es excelente', 'es')).toBe('positive');
    expect(label('der Service ist schlecht', 'de')).toBe('negative');
    expect(analyseSentiment('hyvä palvelu', 'fi')).toEqual({ score: 0, label: 'neutral' });
  });
});
