import pg from 'pg';
import { parse as parseArray } from 'postgres-array';

/**
 * One parser per type OID, given to both drivers, so pg and PGlite return identical JS values.
 * int8 is always a string (never "number or bigint"): convert explicitly where a number is wanted.
 */
export const OID = {
  bytea: 17,
  int8: 20,
  json: 114,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  jsonb: 3802,
  int8Array: 1016,
  numericArray: 1231,
} as const;

const identity = (text: string): string => text;
const parseTimestampAsUtc = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);
const parseTimestamptz = (text: string): Date => {
  if (text === 'infinity' || text === '-infinity') return new Date(text === 'infinity' ? 8.64e15 : -8.64e15);
  return pgTimestamptz(text) as Date;
};
const pgTimestamptz = pg.types.getTypeParser(OID.timestamptz);
const parseBytea = (text: string): Buffer =>
  text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex') : (pg.types.getTypeParser(OID.bytea)(text) as Buffer);

export const textParsers: Record<number, (text: string) => unknown> = {
  [OID.int8]: identity,
  [OID.numeric]: identity,
  [OID.date]: identity,
  [OID.interval]: identity,
  [OID.timestamp]: parseTimestampAsUtc,
  [OID.timestamptz]: parseTimestamptz,
  [OID.json]: (t) => JSON.parse(t),
  [OID.jsonb]: (t) => JSON.parse(t),
  [OID.bytea]: parseBytea,
  [OID.int8Array]: (t) => parseArray(t, identity),
  [OID.numericArray]: (t) => parseArray(t, identity),
};

/** `types` option for a pg Pool. */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const own = textParsers[oid];
    if (own && format !== 'binary') return own;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};
