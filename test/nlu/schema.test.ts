import { readFileSync } from 'node:fs';
import path from 'node:path';
import { intentsJsonSchema } from '../../src/nlu/schema';

it('intents.schema.json (for editors) is the schema the loader validates with', () => {
  const file = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', 'src', 'nlu', 'intents.schema.json'), 'utf8'),
  );
  expect(file).toEqual(JSON.parse(JSON.stringify(intentsJsonSchema)));
});
