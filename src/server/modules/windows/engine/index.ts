/** The time-window engine (docs/decisions/0008-time-windows.md): pure functions, no database, no HTTP. */
export * from './types.js';
export { fromLocal, toLocal, isValidTimeZone } from './zone.js';
export { validateDefinition } from './validate.js';
export { expand, bounds, nextOccurrences } from './expand.js';
export { createWindowIndex, NEXT_ALLOWED_HORIZON_MS, type WindowIndex, type OccurrenceQuery } from './evaluate.js';
export { scopeMatch } from './scope.js';
