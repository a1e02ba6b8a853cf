/**
 * The operator desk in Slack on top of the human queue. See docs/handoff.md.
 *
 * @module
 */
export { ACTION as DESK_ACTIONS, formatWait, renderCard, renderHome, renderTranscript } from './blocks';
export {
  Desk,
  operatorChannel,
  type DeskOptions,
  type DeskResult,
  parseResolveArgs,
  type ResolveOptions,
  slackToPlain,
} from './desk';
export { buildEnvelope, type HandoffEnvelope, type HandoffRequest, type HandoffSource } from './envelope';
export {
  type DeskItem,
  type DeskItemKind,
  DeskSender,
  type DeskSenderOptions,
  DeskStore,
  type DeskThread,
} from './outbox';
