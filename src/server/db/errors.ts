/** A unique-constraint violation (SQLSTATE 23505) on the named constraint, from pg or PGlite. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | undefined;
  return e?.code === '23505' && (e.constraint === constraint || (e.message ?? '').includes(`"${constraint}"`));
}
