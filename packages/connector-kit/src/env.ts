import { ConnectorError } from './errors.js';

export type Environment = Record<string, string | undefined>;

/**
 * A setting from the settings object, else the environment variable, else the default.
 * Secrets are read in one place so no connector reads `process.env` on its own.
 */
export function loadSetting(options: {
  value: string | undefined;
  environmentVariable: string;
  settingName: string;
  env?: Environment;
  required?: boolean;
  defaultValue?: string;
}): string | undefined {
  const env = options.env ?? process.env;
  const value = options.value ?? env[options.environmentVariable] ?? options.defaultValue;
  if ((value === undefined || value === '') && options.required) {
    throw new ConnectorError(
      'configuration_invalid',
      `${options.settingName} is missing: pass it in the settings or set ${options.environmentVariable}`,
    );
  }
  return value === '' ? undefined : value;
}

export function requireSetting(options: {
  value: string | undefined;
  environmentVariable: string;
  settingName: string;
  env?: Environment;
}): string {
  return loadSetting({ ...options, required: true }) as string;
}

/** What the gateway hands a connector package's `...FromEnv` factory. */
export interface ConnectorEnvironmentContext {
  env: Environment;
  /** The gateway's external base URL (THREADLINE_PUBLIC_URL), e.g. for Twilio signatures. */
  publicUrl: string | undefined;
  /** The gateway's data directory (THREADLINE_DATA_DIR): session files live below it. */
  dataDirectory: string;
}
