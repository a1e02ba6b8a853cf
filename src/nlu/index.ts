/**
 * Switchboard's NLU: intents files, a fast classifier that knows when it doesn't know,
 * entities and sentiment. The rest of the framework imports from here only.
 *
 * @example
 * import { loadIntents, NluEngine } from './nlu';
 * const engine = await NluEngine.train(await loadIntents('intents'), { cacheDir: '.switchboard/nlu' });
 * const result = engine.parse('wher is my ordr ORD-12345');
 * if (result.intent === null) handOffToHuman();
 *
 * @module
 */
export { type Calibration, DEFAULT_RETENTION } from './calibrate';
export { BUILTIN_ENTITIES, type BuiltinEntity, type Entity, type EntityDefinition } from './entities';
export {
  ENGINE_VERSION,
  type LabelledUtterance,
  NluEngine,
  type NluResult,
  type TrainOptions,
} from './engine';
export { createIntentSet, type IntentDefinition, type IntentSet, loadIntents } from './loader';
export { intentsJsonSchema } from './schema';
export { analyseSentiment, type Sentiment } from './sentiment';
export { STEMMED_LANGUAGES } from './text';
