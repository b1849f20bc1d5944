import type { AuditListParams, CalendarParams, ReleaseListParams, ReleaseTemplateListParams, ServiceListParams } from './types';

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
    /** first 200 environments, for pickers */
    options: ['environments', 'options'] as const,
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
  releases: {
    all: ['releases'] as const,
    list: (params: Omit<ReleaseListParams, 'cursor'>) => ['releases', 'list', params] as const,
    options: ['releases', 'options'] as const,
    detail: (ref: string) => ['releases', 'detail', ref] as const,
    nextStatuses: (ref: string) => ['releases', 'detail', ref, 'next-statuses'] as const,
    scope: (ref: string) => ['releases', 'detail', ref, 'scope'] as const,
    notes: (ref: string) => ['releases', 'detail', ref, 'notes'] as const,
  },
  releaseTemplates: {
    all: ['release-templates'] as const,
    list: (params: Omit<ReleaseTemplateListParams, 'cursor'>) => ['release-templates', 'list', params] as const,
  },
  gates: {
    detail: (id: string) => ['gates', id] as const,
  },
  audit: {
    all: ['audit'] as const,
    list: (params: Omit<AuditListParams, 'cursor'>) => ['audit', 'list', params] as const,
  },
};
