/**
 * Shared code of the Meta channels (Messenger, WhatsApp Cloud API): webhook handshake
 * and signature, the Graph API client and its error mapping, renderer helpers.
 *
 * @module
 */
export { DEFAULT_GRAPH_URL, GraphClient, graphError, isWindowClosed } from './graph';
export { handshake, mountMetaWebhook, signHubBody, verifyHubSignature } from './verify';
