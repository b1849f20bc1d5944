/** How long a stored Idempotency-Key response is replayed (API.md: 24 h). */
export const IDEMPOTENCY_TTL_HOURS = 24;
