import type { WindowKind } from '../../api/types';

const KINDS: WindowKind[] = ['blackout', 'freeze', 'maintenance'];

export interface WindowsSearch {
  kind?: WindowKind;
  service?: string;
  environment?: string;
  q?: string;
}

function str(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed ? trimmed.slice(0, 200) : undefined;
}

/** The windows list's filters, kept in the URL. */
export function validateWindowsSearch(search: Record<string, unknown>): WindowsSearch {
  return {
    kind: KINDS.includes(search.kind as WindowKind) ? (search.kind as WindowKind) : undefined,
    service: str(search.service),
    environment: str(search.environment),
    q: str(search.q),
  };
}
