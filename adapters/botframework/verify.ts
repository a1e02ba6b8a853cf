/**
 * Bot Framework authenticity. The channel service signs every activity with a JWT in
 * `Authorization`; botbuilder's `ConfigurationBotFrameworkAuthentication` validates it
 * (issuer, audience = our app id, signing keys, and the `serviceurl` claim against the
 * activity's serviceUrl, which is what stops a forged activity from steering our replies).
 * This module builds that authentication and turns its refusals into our
 * {@link SignatureError} (401).
 *
 * @module
 */
import { ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { SignatureError } from '../../src/errors';
import type { BotFrameworkSettings } from './config';

/**
 * Without an app id, authentication is disabled: any caller is accepted and replies go to
 * the serviceUrl the activity names. The config only allows that in development.
 */
export function createAuthentication(
  settings: BotFrameworkSettings,
  connectorClientOptions: ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[4],
): ConfigurationBotFrameworkAuthentication {
  const config = settings.appId
    ? {
        MicrosoftAppId: settings.appId,
        MicrosoftAppType: settings.appType,
        ...(settings.appPassword !== undefined && { MicrosoftAppPassword: settings.appPassword }),
        ...(settings.tenantId !== undefined && { MicrosoftAppTenantId: settings.tenantId }),
      }
    : {};
  return new ConfigurationBotFrameworkAuthentication(
    config,
    undefined,
    undefined,
    undefined,
    connectorClientOptions,
  );
}

/** botbuilder's AuthenticationError (status 401/403) → SignatureError; anything else as is. */
export function asAuthenticationFailure(error: unknown): unknown {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (status === 401 || status === 403 || (error as Error)?.name === 'AuthenticationError') {
    return new SignatureError('botframework', `activity rejected: ${(error as Error).message}`);
  }
  return error;
}
