import { api } from './client';
import type {
  ApiToken,
  AuditEvent,
  AuditListParams,
  CalendarFeed,
  CalendarFeedCreated,
  CalendarParams,
  CalendarResponse,
  FeedScope,
  CurrentUser,
  Environment,
  EnvironmentCreate,
  EnvironmentPatch,
  Page,
  Service,
  ServiceCreate,
  ServiceListParams,
  ServicePatch,
  Team,
  TokenCreated,
} from './types';

const enc = encodeURIComponent;

export const authApi = {
  /** 401 here is handled by the router guard (redirect to sign-in), not the global handler. */
  me: (signal?: AbortSignal) => api.get<CurrentUser>('/auth/me', undefined, { signal, skipAuthRedirect: true }),
  login: (email: string, password: string) =>
    api.post<{ user: CurrentUser }>('/auth/login', { email, password }, { skipAuthRedirect: true }),
  logout: () => api.post<void>('/auth/logout', undefined, { skipAuthRedirect: true }),
};

export const servicesApi = {
  list: (params: ServiceListParams, signal?: AbortSignal) =>
    api.get<Page<Service>>('/services', { ...params }, { signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Service>(`/services/${enc(id)}`, undefined, { signal }),
  create: (body: ServiceCreate) => api.post<Service>('/services', body),
  update: (id: string, version: number, patch: ServicePatch) =>
    api.patch<Service>(`/services/${enc(id)}`, patch, { ifMatch: version }),
  remove: (id: string) => api.delete(`/services/${enc(id)}`),
};

export const environmentsApi = {
  list: (params: { limit?: number; cursor?: string }, signal?: AbortSignal) =>
    api.get<Page<Environment>>('/environments', { ...params }, { signal }),
  get: (id: string, signal?: AbortSignal) =>
    api.get<Environment>(`/environments/${enc(id)}`, undefined, { signal }),
  create: (body: EnvironmentCreate) => api.post<Environment>('/environments', body),
  update: (id: string, version: number, patch: EnvironmentPatch) =>
    api.patch<Environment>(`/environments/${enc(id)}`, patch, { ifMatch: version }),
  remove: (id: string) => api.delete(`/environments/${enc(id)}`),
};

export const teamsApi = {
  list: (signal?: AbortSignal) => api.get<Page<Team>>('/teams', { limit: 200 }, { signal }),
};

export const tokensApi = {
  list: (signal?: AbortSignal) => api.get<Page<ApiToken>>('/tokens', undefined, { signal }),
  create: (name: string, expiresInDays: number) => api.post<TokenCreated>('/tokens', { name, expiresInDays }),
  revoke: (id: string) => api.delete(`/tokens/${enc(id)}`),
};

export const auditApi = {
  list: (params: AuditListParams, signal?: AbortSignal) =>
    api.get<Page<AuditEvent>>('/audit', { ...params }, { signal }),
};

export const calendarApi = {
  range: (params: CalendarParams, signal?: AbortSignal) =>
    api.get<CalendarResponse>('/calendar', { ...params }, { signal }),
  feeds: (signal?: AbortSignal) => api.get<Page<CalendarFeed>>('/calendar/feeds', undefined, { signal }),
  createFeed: (body: { scope: FeedScope; ref: string; name?: string }) =>
    api.post<CalendarFeedCreated>('/calendar/feeds', body),
  revokeFeed: (id: string) => api.delete(`/calendar/feeds/${enc(id)}`),
};
