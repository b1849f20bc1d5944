import type { AuditListParams, CalendarParams, ServiceListParams } from './types';

export const queryKeys = {
  me: ['auth', 'me'] as const,
  services: {
    all: ['services'] as const,
    list: (params: Omit<ServiceListParams, 'cursor'>) => ['services', 'list', params] as const,
    options: ['services', 'options'] as const,
    detail: (id: string) => ['services', 'detail', id] as const,
  },
  environments: {
    all: ['environments'] as const,
    list: ['environments', 'list'] as const,
  },
  teams: {
    all: ['teams'] as const,
  },
  tokens: {
    all: ['tokens'] as const,
  },
  calendar: {
    all: ['calendar'] as const,
    range: (params: CalendarParams) => ['calendar', 'range', params] as const,
    feeds: ['calendar', 'feeds'] as const,
  },
  audit: {
    list: (params: Omit<AuditListParams, 'cursor'>) => ['audit', 'list', params] as const,
  },
};
