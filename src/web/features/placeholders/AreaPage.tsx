import { Anchor, Text } from '@mantine/core';
import { Link } from '@tanstack/react-router';
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

export const DeploymentsPage = () => area('deployments');
export const MetricsPage = () => area('metrics');
export const IntegrationsPage = () => area('integrations');

export function EnvironmentsAreaPage() {
  return (
    <>
      {area('environments')}
      <Text size="sm" mt="md" c="dimmed">
        The list of environments itself is managed in the{' '}
        <Anchor component={Link} to="/catalog/environments">
          environment catalog
        </Anchor>
        .
      </Text>
    </>
  );
}
