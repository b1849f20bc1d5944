import { api, apiRequest } from './client';
import type {
  ApiToken,
  AuditEvent,
  Change,
  ChangeApprovals,
  ChangeCreate,
  ChangeHistoryEntry,
  ChangeListParams,
  ChangeNextStates,
  ChangeTemplate,
  ChangeTransitionInput,
  Booking,
  BookingConflict,
  BookingCreate,
  BookingListParams,
  Evaluation,
  EvaluateInput,
  OccurrencesParams,
  OccurrencesResponse,
  TimeWindow,
  WindowCreate,
  WindowListParams,
  WindowPatch,
  WindowPreview,
  WindowPreviewInput,
  AuditListParams,
  CalendarFeed,
  CalendarFeedCreated,
  CalendarParams,
  CalendarResponse,
  CalendarWireResponse,
  FeedScope,
  GateDetail,
  NextStatuses,
  Release,
  ReleaseCreate,
  ReleaseListParams,
  ReleaseScope,
  ReleaseStatus,
  ReleaseTemplate,
  ReleaseTemplateCreate,
  ReleaseTemplateListParams,
  ReleaseTemplatePatch,
  WorkItem,
  WorkItemCreate,
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

/** Gives every item its release and team back, so views read `item.release.key` directly. */
function joinReleases(wire: CalendarWireResponse): CalendarResponse {
  const byId = new Map(wire.releases.map((r) => [r.id, r]));
  const items = wire.items.flatMap(({ releaseId, ...item }) => {
    const r = byId.get(releaseId);
    if (!r) return [];
    const { team, ...release } = r;
    return [{ ...item, release, team }];
  });
  return { from: wire.from, to: wire.to, truncated: wire.truncated, items };
}

export const calendarApi = {
  range: async (params: CalendarParams, signal?: AbortSignal) =>
    joinReleases(await api.get<CalendarWireResponse>('/calendar', { ...params }, { signal })),
  feeds: (signal?: AbortSignal) => api.get<Page<CalendarFeed>>('/calendar/feeds', undefined, { signal }),
  createFeed: (body: { scope: FeedScope; ref: string; name?: string }) =>
    api.post<CalendarFeedCreated>('/calendar/feeds', body),
  revokeFeed: (id: string) => api.delete(`/calendar/feeds/${enc(id)}`),
};

export const releasesApi = {
  list: (params: ReleaseListParams, signal?: AbortSignal) =>
    api.get<Page<Release>>('/releases', { ...params }, { signal }),
  get: (ref: string, signal?: AbortSignal) => api.get<Release>(`/releases/${enc(ref)}`, undefined, { signal }),
  create: (body: ReleaseCreate) => api.post<Release>('/releases', body),
  nextStatuses: (ref: string, signal?: AbortSignal) =>
    api.get<NextStatuses>(`/releases/${enc(ref)}/next-statuses`, undefined, { signal }),
  /** No If-Match: the server checks the move against the current status (409 naming the allowed ones). */
  transition: (ref: string, to: ReleaseStatus) => api.post<Release>(`/releases/${enc(ref)}/transitions`, { to }),
  scope: (ref: string, signal?: AbortSignal) => api.get<ReleaseScope>(`/releases/${enc(ref)}/scope`, undefined, { signal }),
  notesMarkdown: (ref: string, signal?: AbortSignal) =>
    apiRequest<string>(`/releases/${enc(ref)}/notes`, {
      query: { format: 'markdown' },
      headers: { accept: 'text/markdown' },
      responseType: 'text',
      signal,
    }),
};

export const releaseTemplatesApi = {
  list: (signal?: AbortSignal) => api.get<Page<ReleaseTemplate>>('/release-templates', { limit: 200 }, { signal }),
  page: (params: ReleaseTemplateListParams, signal?: AbortSignal) =>
    api.get<Page<ReleaseTemplate>>('/release-templates', { ...params }, { signal }),
  get: (ref: string, signal?: AbortSignal) =>
    api.get<ReleaseTemplate>(`/release-templates/${enc(ref)}`, undefined, { signal }),
  create: (body: ReleaseTemplateCreate) => api.post<ReleaseTemplate>('/release-templates', body),
  update: (id: string, version: number, patch: ReleaseTemplatePatch) =>
    api.patch<ReleaseTemplate>(`/release-templates/${enc(id)}`, patch, { ifMatch: version }),
  remove: (id: string, version: number) => api.delete(`/release-templates/${enc(id)}`, { ifMatch: version }),
};

export const gatesApi = {
  get: (id: string, signal?: AbortSignal) => api.get<GateDetail>(`/gates/${enc(id)}`, undefined, { signal }),
  signoff: (id: string, body: { decision: 'approve' | 'reject'; comment?: string }) =>
    api.post<GateDetail>(`/gates/${enc(id)}/signoffs`, body),
  waive: (id: string, reason: string) => api.post<GateDetail>(`/gates/${enc(id)}/waivers`, { reason }),
};

export const workItemsApi = {
  create: (body: WorkItemCreate) => api.post<WorkItem>('/work-items', body),
};

export const windowsApi = {
  list: (params: WindowListParams, signal?: AbortSignal) =>
    api.get<Page<TimeWindow>>('/windows', { ...params }, { signal }),
  get: (id: string, signal?: AbortSignal) => api.get<TimeWindow>(`/windows/${enc(id)}`, undefined, { signal }),
  create: (body: WindowCreate) => api.post<TimeWindow>('/windows', body),
  update: (id: string, version: number, patch: WindowPatch) =>
    api.patch<TimeWindow>(`/windows/${enc(id)}`, patch, { ifMatch: version }),
  remove: (id: string, version: number) => api.delete(`/windows/${enc(id)}`, { ifMatch: version }),
  preview: (body: WindowPreviewInput, signal?: AbortSignal) => api.post<WindowPreview>('/windows/preview', body, { signal }),
  evaluate: (body: EvaluateInput) => api.post<Evaluation>('/windows/evaluate', body),
  occurrences: (params: OccurrencesParams, signal?: AbortSignal) =>
    api.get<OccurrencesResponse>('/windows/occurrences', { ...params }, { signal }),
};

export const bookingsApi = {
  list: (params: BookingListParams, signal?: AbortSignal) =>
    api.get<Page<Booking>>('/bookings', { ...params }, { signal }),
  conflicts: (params: { environment?: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
    api.get<Page<BookingConflict>>('/bookings/conflicts', { ...params }, { signal }),
  request: (body: BookingCreate) => api.post<Booking>('/bookings', body),
  approve: (b: Pick<Booking, 'id' | 'version'>, comment?: string) =>
    api.post<Booking>(`/bookings/${enc(b.id)}/approve`, comment ? { comment } : {}, { ifMatch: b.version }),
  reject: (b: Pick<Booking, 'id' | 'version'>, comment: string) =>
    api.post<Booking>(`/bookings/${enc(b.id)}/reject`, { comment }, { ifMatch: b.version }),
  cancel: (b: Pick<Booking, 'id' | 'version'>) => api.post<Booking>(`/bookings/${enc(b.id)}/cancel`, undefined, { ifMatch: b.version }),
  release: (b: Pick<Booking, 'id' | 'version'>) => api.post<Booking>(`/bookings/${enc(b.id)}/release`, undefined, { ifMatch: b.version }),
};

export const changesApi = {
  list: (params: ChangeListParams, signal?: AbortSignal) => api.get<Page<Change>>('/changes', { ...params }, { signal }),
  get: (ref: string, signal?: AbortSignal) => api.get<Change>(`/changes/${enc(ref)}`, undefined, { signal }),
  create: (body: ChangeCreate) => api.post<Change>('/changes', body),
  nextStates: (ref: string, signal?: AbortSignal) => api.get<ChangeNextStates>(`/changes/${enc(ref)}/next-states`, undefined, { signal }),
  history: (ref: string, signal?: AbortSignal) =>
    api.get<{ items: ChangeHistoryEntry[] }>(`/changes/${enc(ref)}/history`, undefined, { signal }),
  transition: (ref: string, body: ChangeTransitionInput) => api.post<Change>(`/changes/${enc(ref)}/transitions`, body),
  checkConflicts: (ref: string) => api.post<Change>(`/changes/${enc(ref)}/conflicts/check`),
  templates: (signal?: AbortSignal) =>
    api.get<Page<ChangeTemplate>>('/change-templates', { active: 'true', limit: 200 }, { signal }),
  approvals: (ref: string, signal?: AbortSignal) => api.get<ChangeApprovals>(`/changes/${enc(ref)}/approvals`, undefined, { signal }),
  decide: (ref: string, body: { decision: 'approved' | 'rejected'; comment?: string }) =>
    api.post<{ approvals: ChangeApprovals }>(`/changes/${enc(ref)}/approvals`, body),
};
