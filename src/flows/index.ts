/**
 * The flow engine and the bot-author tools' building blocks. The rest of the framework
 * imports from here only.
 *
 * @module
 */
export { type Action, type ActionInput, FlowEngine, type FlowEngineOptions } from './engine';
export { Expression, ExpressionError, EXPRESSION_FUNCTIONS } from './expression';
export { loadFlows, type LoadFlowsOptions, SCOPE_ROOTS } from './loader';
export { type BotContent, FlowRuntime, hasBotContent, loadBot, type LoadBotOptions } from './runtime';
export { flowsJsonSchema } from './schema';
export { Template } from './template';
export type { ChoiceOption, FlowDefinition, FlowSet, HandoffSpec, Step, StepKind } from './types';
