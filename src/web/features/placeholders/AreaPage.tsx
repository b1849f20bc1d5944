import { Text } from '@mantine/core';
import { ComingSoon } from '../../components/ComingSoon';
import { AREAS, type AreaId } from './areas';

function area(id: AreaId) {
  const spec = AREAS[id];
  return <ComingSoon title={spec.title} question={spec.question} shows={spec.shows} />;
}

export function DashboardPage() {
  return (
    <>
      {area('dashboard')}
      <Text size="sm" mt="md" c="dimmed">
        Available now: the catalog (services, environments, teams), API tokens and the audit log — see the sidebar.
      </Text>
    </>
  );
}

export const MetricsPage = () => area('metrics');
export const IntegrationsPage = () => area('integrations');
