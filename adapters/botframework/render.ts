/**
 * Content → activity. The mapping lives in `adapters/bot-activity`, shared with the Direct
 * Line channel so that Web Chat shows the same thing whichever of the two serves it.
 *
 * @module
 */
export { cardAction, MAX_CARD_BUTTONS, mediaContentType, renderActivity } from '../bot-activity';
