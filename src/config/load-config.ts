// Finds and reads the config file (`--config`, `BULK_CONFIG`, `./bulk.config.json`, then the XDG
// config folder) and hands it to the pure resolver with the flags and the environment.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  parseConfigFile,
  resolveConfig,
  type ProfileSettings,
  type ResolvedConfig,
} from './resolve-config.js';

const CONFIG_FILE_NAME = 'bulk.config.json';

/** `./bulk.config.json`, else `$XDG_CONFIG_HOME/bulk/config.json` (`~/.config/bulk/config.json`). */
function configFileCandidates(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string[] {
  const configHome = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return [path.join(cwd, CONFIG_FILE_NAME), path.join(configHome, 'bulk', 'config.json')];
}

export function loadConfig(
  flags: Pick<ProfileSettings, 'url' | 'tokenFile'> & { profile?: string; config?: string },
  env = process.env,
): ResolvedConfig & { configFile: string | null } {
  const explicit = flags.config ?? env.BULK_CONFIG;
  const candidates = explicit ? [explicit] : configFileCandidates(env);
  let configFile: string | null = null;
  let file = null;
  for (const candidate of candidates) {
    if (!existsSync(candidate)) {
      if (explicit) throw new ConfigError(`config file not found: ${candidate}`);
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(candidate, 'utf8'));
    } catch (err) {
      throw new ConfigError(`${candidate}: ${(err as Error).message}`);
    }
    file = parseConfigFile(raw, candidate);
    configFile = candidate;
    break;
  }
  const resolved = resolveConfig({
    flags,
    env,
    file,
    readToken: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch (err) {
        throw new ConfigError(
          `cannot read token file ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    },
  });
  return { ...resolved, configFile };
}
