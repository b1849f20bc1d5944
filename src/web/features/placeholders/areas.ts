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
  releases: {
    title: 'Releases',
    question: 'Will this release land, and what blocks it?',
    shows: [
      'Status with health reasons',
      'Phases timeline',
      'Gates with live criteria',
      'Scope by status',
      'Dependencies',
      'History',
    ],
  },
  changes: {
    title: 'Changes',
    question: 'May this change go, and on what evidence?',
    shows: [
      'State and the allowed next states',
      'Risk with its factor breakdown',
      'Conflicts',
      'Approvals, including who may still approve',
      'Plans, linked deployments and work items',
      'Timeline',
    ],
  },
  approvals: {
    title: 'Approvals',
    question: 'What must I decide?',
    shows: ['Your queue ordered by due date and risk', 'CAB agenda with bulk decisions'],
  },
  environments: {
    title: 'Environments',
    question: 'What runs where, and who has it?',
    shows: [
      'Services × environments matrix with versions, drift and last status',
      'Bookings',
      'Deployment windows',
    ],
  },
  deployments: {
    title: 'Deployments',
    question: 'What shipped, what waits, and why?',
    shows: ['Deployment history', 'Gate decisions with their explanation'],
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
  policies: {
    title: 'Policies',
    question: 'What process does each service get?',
    shows: ['Governance profiles', 'Policy editor with validation', 'Backtest results'],
  },
} satisfies Record<string, AreaSpec>;

export type AreaId = keyof typeof AREAS;
