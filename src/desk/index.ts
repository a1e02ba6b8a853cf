/**
 * The operator desk on top of the human queue; its Slack face is `switchboard/slack`'s
 * `SlackAdapter.operatorFace()`. See docs/handoff.md.
 *
 * @module
 */
export { formatWait, type OperatorFace, operatorFaceOf } from './core';
export {
  Desk,
  type DeskOptions,
  type DeskResult,
  type ResolveOptions,
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
