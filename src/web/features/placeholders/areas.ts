/** What each not-yet-built area will answer (from the UI design's information architecture). */
export interface AreaSpec {
  title: string;
  question: string;
  shows: string[];
}

export const AREAS = {
  dashboard: {
    title: 'Dashboard',
    question: 'What needs me, and is delivery healthy?',
    shows: [
      'My approvals and tasks',
      'Releases in flight with their health',
      'Changes awaiting CAB',
      "Today's deployments and active freezes",
      'Integration health',
      'DORA summary',
    ],
  },
  metrics: {
    title: 'Metrics',
    question: 'Are we getting better?',
    shows: ['DORA and flow charts with bands', 'Drill-down to the underlying records'],
  },
  integrations: {
    title: 'Integrations',
    question: 'Is sync healthy?',
    shows: [
      'Connections with lag, backlog and errors',
      'Dead letters with replay',
      'Mappings with preview',
    ],
  },
} satisfies Record<string, AreaSpec>;

export type AreaId = keyof typeof AREAS;
