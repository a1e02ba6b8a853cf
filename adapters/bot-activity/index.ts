/**
 * The Bot Framework activity shape shared by the two channels that speak it: the Azure Bot
 * Service (`adapters/botframework`) and Switchboard's Direct Line 3.0 server
 * (`adapters/directline`). One mapping both ways, so Web Chat shows the same thing
 * whichever of the two serves it.
 *
 * @module
 */
export { isWebUrl, mediaKind, messageContents } from './parse';
export { cardAction, HERO_CARD, MAX_CARD_BUTTONS, mediaContentType, renderActivity } from './render';
