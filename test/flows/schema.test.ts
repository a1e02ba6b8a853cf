import { readFileSync } from 'node:fs';
import path from 'node:path';
import { flowsJsonSchema } from '../../src/flows';

it('flows.schema.json (for editors) is the schema the loader validates with', () => {
  const file = JSON.parse(readFileSync(path.join(__dirname, '../../src/flows/flows.schema.json'), 'utf8'));
  expect(file).toEqual(JSON.parse(JSON.stringify(flowsJsonSchema)));
});
