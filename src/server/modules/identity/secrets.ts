import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const hashPassword = (password: string): Promise<string> => argonHash(password);
export const verifyPassword = (hash: string, password: string): Promise<boolean> =>
  argonVerify(hash, password).catch(() => false);

/**
 * A hash computed when the user does not exist, so a login for an unknown e-mail costs the same
 * time as one with a wrong password and does not reveal which e-mails have accounts.
 */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = (): Promise<string> => (dummyHash ??= hashPassword(randomToken()));

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** API tokens look like `sg_<43 chars>`: the prefix makes leaked tokens easy to scan for. */
export const TOKEN_PREFIX = 'sg_';
export const newApiToken = (): string => `${TOKEN_PREFIX}${randomToken(32)}`;
