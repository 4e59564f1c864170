/**
 * The S3 access keys a node accepts: those of `--s3-key` plus those of `--s3-keys-file` (one
 * `ID:SECRET` a line; blank lines and `#` comments skipped), read once at start. A malformed line is
 * a start error that names the line number, never its content (it may hold a secret).
 */
import { readFile } from 'node:fs/promises';
import { parseS3Key, type S3Config } from '../cli/options.js';
import { NodeError } from '../errors.js';

/** The most keys a node holds (a keys file is an operator's, but still bounded). */
export const MAX_S3_KEYS = 10_000;

export async function loadS3Keys(config: S3Config): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const key of config.keys) keys.set(key.id, key.secret);
  if (config.keysFile !== undefined) {
    let text: string;
    try {
      text = await readFile(config.keysFile, 'utf8');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new NodeError('ERR_STARTUP', `cannot read --s3-keys-file: ${reason}`);
    }
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const key = parseS3Key(line);
      if (key === undefined) {
        throw new NodeError(
          'ERR_STARTUP',
          `--s3-keys-file line ${i + 1} is not ID:SECRET (its content is not shown: it may hold a secret)`,
        );
      }
      keys.set(key.id, key.secret);
    });
  }
  if (keys.size === 0) throw new NodeError('ERR_STARTUP', '--s3 has no access keys');
  if (keys.size > MAX_S3_KEYS) {
    throw new NodeError('ERR_STARTUP', `more than ${MAX_S3_KEYS} S3 access keys`);
  }
  return keys;
}
