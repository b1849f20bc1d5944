export interface InventorySearch {
  team?: string;
  /** only services whose environments run different versions */
  drift?: true;
}

/** The environment inventory's filters, kept in the URL. */
export function validateInventorySearch(search: Record<string, unknown>): InventorySearch {
  const team = typeof search.team === 'string' ? search.team.trim().slice(0, 100) : '';
  return {
    team: team || undefined,
    drift: search.drift === true || search.drift === 'true' ? true : undefined,
  };
}
