import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hmacSha256Hex, safeEqual } from '@threadline/connector-kit';

/** A new visitor id: `wv_` and 96 random bits, hex. */
export function newVisitorId(): string {
  return `wv_${randomBytes(12).toString('hex')}`;
}

const visitorIdPattern = /^wv_[0-9a-f]{24}$/;

export function isVisitorId(value: string): boolean {
  return visitorIdPattern.test(value);
}

/**
 * The visitor's resume token: HMAC-SHA256 of the visitor id with the server's session secret.
 * It proves the visitor id was issued here, without any server-side state, so a visitor
 * resumes after a reload, a network blip or a gateway restart.
 */
export function resumeTokenFor(sessionSecret: string, visitorId: string): string {
  return hmacSha256Hex(sessionSecret, `webchat-resume:${visitorId}`);
}

export function verifyResumeToken(
  sessionSecret: string,
  visitorId: string,
  resumeToken: string,
): boolean {
  return isVisitorId(visitorId) && safeEqual(resumeTokenFor(sessionSecret, visitorId), resumeToken);
}

/**
 * The session secret kept in a file (created on first use, readable by the owner only), so
 * resume tokens stay valid across restarts without any configuration.
 */
export function loadOrCreateSessionSecret(file: string): string {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // another process created it first: use theirs
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return readFileSync(file, 'utf8').trim();
    throw error;
  }
  chmodSync(file, 0o600);
  return secret;
}
