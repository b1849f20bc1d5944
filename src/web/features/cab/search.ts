export interface CabBoardSearch {
  /** the chosen meeting's start (ISO); absent: the next meeting */
  meeting?: string;
}

/** The board page's chosen meeting, kept in the URL so an agenda can be linked. */
export function validateCabBoardSearch(search: Record<string, unknown>): CabBoardSearch {
  const m = search.meeting;
  return { meeting: typeof m === 'string' && !Number.isNaN(Date.parse(m)) ? m : undefined };
}
