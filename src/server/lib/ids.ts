import { uuidv7 } from 'uuidv7';

/** Time-ordered ids generated in the application (production may run PostgreSQL 15, which has no uuidv7()). */
export const newId = (): string => uuidv7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
