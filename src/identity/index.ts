/**
 * Verified identity linking: one customer across channels, on proof only. See
 * docs/omnichannel.md.
 *
 * @module
 */
export { type CodeClaim, findCodeClaim, maskDestination } from './codes';
export {
  type CodeDestination,
  DEFAULT_LINKING,
  issueLinkCode,
  LINK_EVENTS,
  type LinkingSettings,
  linkCustomers,
  linkingSettings,
  loggingCodeSender,
  type OneTimeCodeSender,
  type Redemption,
  type RejectionReason,
  requestOneTimeCode,
  unlinkCustomers,
} from './linking';
export { deepLink, identityLinking, type LinkingMiddlewareOptions } from './middleware';
