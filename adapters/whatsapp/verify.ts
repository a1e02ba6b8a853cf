/**
 * The WhatsApp Cloud API verifies like every Meta webhook: the `hub.*` handshake and
 * `X-Hub-Signature-256` over the raw body (shared in `adapters/meta-graph/verify.ts`).
 *
 * @module
 */
export { handshake, signHubBody, verifyHubSignature } from '../meta-graph/verify';
