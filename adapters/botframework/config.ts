/**
 * Bot Framework's settings. The channel is on when `MICROSOFT_APP_ID` is set, or when
 * `BOTFRAMEWORK_ENABLED=true` in development (then without authentication: see the
 * README). Every problem is reported on its own line.
 *
 * @module
 */
import type { Config } from '../../src/config';
import { ConfigError } from '../../src/errors';

export type AppType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';

/** Bot Framework's validated settings. */
export interface BotFrameworkSettings {
  /** Unset: authentication is disabled (development only). */
  appId: string | undefined;
  appPassword: string | undefined;
  tenantId: string | undefined;
  appType: AppType;
}

const NAMES = [
  'MICROSOFT_APP_ID',
  'MICROSOFT_APP_PASSWORD',
  'MICROSOFT_APP_TENANT_ID',
  'MICROSOFT_APP_TYPE',
  'BOTFRAMEWORK_ENABLED',
] as const;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads the settings from `config.env`: null when the channel is off, the settings when
 * they are valid, a {@link ConfigError} listing every problem otherwise.
 */
export function botframeworkSettings(config: Pick<Config, 'env' | 'NODE_ENV'>): BotFrameworkSettings | null {
  const value = (name: (typeof NAMES)[number]) => {
    const v = config.env[name]?.trim();
    return v === '' ? undefined : v;
  };
  if (NAMES.every((n) => value(n) === undefined)) return null;
  const problems: string[] = [];
  const appId = value('MICROSOFT_APP_ID');
  const appPassword = value('MICROSOFT_APP_PASSWORD');
  const tenantId = value('MICROSOFT_APP_TENANT_ID');
  const typeRaw = value('MICROSOFT_APP_TYPE') ?? 'MultiTenant';
  const enabledRaw = value('BOTFRAMEWORK_ENABLED')?.toLowerCase();

  let enabled: boolean | undefined;
  if (enabledRaw !== undefined) {
    if (['true', '1', 'yes'].includes(enabledRaw)) enabled = true;
    else if (['false', '0', 'no'].includes(enabledRaw)) enabled = false;
    else problems.push(`BOTFRAMEWORK_ENABLED: must be true or false (got ${JSON.stringify(enabledRaw)})`);
  }
  // An explicit "false" turns the channel off even with credentials present.
  if (enabled === false && problems.length === 0) return null;

  if (!['MultiTenant', 'SingleTenant', 'UserAssignedMSI'].includes(typeRaw)) {
    problems.push(
      `MICROSOFT_APP_TYPE: must be MultiTenant, SingleTenant or UserAssignedMSI (got ${JSON.stringify(typeRaw)})`,
    );
  }
  const appType = typeRaw as AppType;

  if (appId === undefined) {
    const others = (
      ['MICROSOFT_APP_PASSWORD', 'MICROSOFT_APP_TENANT_ID', 'MICROSOFT_APP_TYPE'] as const
    ).filter((n) => value(n) !== undefined);
    if (others.length > 0) {
      problems.push(
        `MICROSOFT_APP_ID: is required when ${others.join(', ')} ${others.length > 1 ? 'are' : 'is'} set (the Azure Bot's Microsoft App ID)`,
      );
    } else if (config.NODE_ENV !== 'development') {
      problems.push(
        `MICROSOFT_APP_ID: is required outside development (NODE_ENV=${config.NODE_ENV}): without it /api/messages accepts activities from anyone and replies to whatever serviceUrl they name. Set the Azure Bot's app id and password, or NODE_ENV=development for a local Emulator`,
      );
    }
  } else {
    if (!GUID.test(appId)) {
      problems.push('MICROSOFT_APP_ID: must be a GUID (Azure Bot → Configuration → Microsoft App ID)');
    }
    if (appType !== 'UserAssignedMSI' && appPassword === undefined) {
      problems.push(
        `MICROSOFT_APP_PASSWORD: is required for MICROSOFT_APP_TYPE=${appType} (a client secret of the app registration)`,
      );
    }
    if ((appType === 'SingleTenant' || appType === 'UserAssignedMSI') && tenantId === undefined) {
      problems.push(`MICROSOFT_APP_TENANT_ID: is required for MICROSOFT_APP_TYPE=${appType}`);
    }
  }
  if (tenantId !== undefined && !GUID.test(tenantId)) {
    problems.push('MICROSOFT_APP_TENANT_ID: must be a GUID (the directory (tenant) ID)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { appId, appPassword, tenantId, appType };
}
