import type { ComponentType } from 'react';
import {
  IconActivity,
  IconBook2,
  IconCalendarEvent,
  IconChecklist,
  IconClockPause,
  IconClipboardCheck,
  IconGitPullRequest,
  IconHistory,
  IconKey,
  IconLayoutDashboard,
  IconPlugConnected,
  IconRocket,
  IconServer2,
  IconShieldHalf,
  IconStack2,
  IconUsersGroup,
  IconWorld,
  type IconProps,
} from '@tabler/icons-react';

export interface NavItem {
  label: string;
  to: string;
  icon: ComponentType<IconProps>;
  testId: string;
  /** Built and usable now (others show an honest "not available yet" page). */
  ready: boolean;
}

export interface NavGroup {
  label: string | null;
  items: NavItem[];
}

export const NAV: NavGroup[] = [
  {
    label: null,
    items: [
      { label: 'Dashboard', to: '/', icon: IconLayoutDashboard, testId: 'nav-dashboard', ready: false },
      { label: 'Releases', to: '/releases', icon: IconRocket, testId: 'nav-releases', ready: true },
      { label: 'Calendar', to: '/calendar', icon: IconCalendarEvent, testId: 'nav-calendar', ready: true },
      { label: 'Windows', to: '/windows', icon: IconClockPause, testId: 'nav-windows', ready: true },
      { label: 'Changes', to: '/changes', icon: IconGitPullRequest, testId: 'nav-changes', ready: true },
      { label: 'Approvals', to: '/approvals', icon: IconClipboardCheck, testId: 'nav-approvals', ready: true },
      { label: 'CAB', to: '/cab', icon: IconChecklist, testId: 'nav-cab', ready: true },
      { label: 'Environments', to: '/environments', icon: IconWorld, testId: 'nav-environments', ready: true },
      { label: 'Deployments', to: '/deployments', icon: IconStack2, testId: 'nav-deployments', ready: true },
      { label: 'Metrics', to: '/metrics', icon: IconActivity, testId: 'nav-metrics', ready: false },
      { label: 'Integrations', to: '/integrations', icon: IconPlugConnected, testId: 'nav-integrations', ready: false },
      { label: 'Policies', to: '/policies', icon: IconShieldHalf, testId: 'nav-policies', ready: true },
      { label: 'Audit', to: '/audit', icon: IconHistory, testId: 'nav-audit', ready: true },
    ],
  },
  {
    label: 'Catalog',
    items: [
      { label: 'Services', to: '/catalog/services', icon: IconServer2, testId: 'nav-catalog-services', ready: true },
      {
        label: 'Environments',
        to: '/catalog/environments',
        icon: IconBook2,
        testId: 'nav-catalog-environments',
        ready: true,
      },
      { label: 'Teams', to: '/catalog/teams', icon: IconUsersGroup, testId: 'nav-catalog-teams', ready: true },
    ],
  },
  {
    label: 'Settings',
    items: [{ label: 'API tokens', to: '/settings/tokens', icon: IconKey, testId: 'nav-settings-tokens', ready: true }],
  },
];

export const NAV_ICON_FALLBACK = IconChecklist;
