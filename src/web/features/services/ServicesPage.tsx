import { Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { IconPlus, IconServer2 } from '@tabler/icons-react';
import { servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Service } from '../../api/types';
import { ServiceTierBadge, SERVICE_TIER_LABELS } from '../../components/Badges';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import {
  CursorLoadMore,
  EmptyStatePanel,
  ListPageStates,
  NoFilterMatchesPanel,
  TablePanel,
} from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { EditableNameCell, EditDeleteRowActions, OwnerTeamText } from '../../components/RowActions';
import {
  ClearFiltersButton,
  FilterBar,
  FilterSearchInput,
  FilterSelect,
  useUrlSearchText,
} from '../../components/UrlFilterBar';
import { useConfirmedAction } from '../../components/useConfirmedAction';
import { useCursorList } from '../../components/useCursorList';
import { useEditDialog } from '../../components/useEditDialog';
import { usePermission } from '../auth/session';
import { useTeams } from '../teams/useTeams';
import { ServiceFormModal } from './ServiceFormModal';

const PAGE_SIZE = 50;
const ROUTE = '/authed/catalog/services' as const;

export function ServicesPage() {
  const search = useSearch({ from: ROUTE });
  const navigate = useNavigate({ from: '/catalog/services' });
  const queryClient = useQueryClient();
  const teams = useTeams();
  const canUpdate = usePermission('service:update');

  const dialog = useEditDialog<Service>();

  const setFilter = (patch: Partial<typeof search>) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const q = useUrlSearchText(search.q, (value) => setFilter({ q: value }));

  const filters = { q: search.q, tier: search.tier, team: search.team };
  const { list, items } = useCursorList({
    queryKey: queryKeys.services.list(filters),
    fetchPage: (cursor, signal) => servicesApi.list({ ...filters, limit: PAGE_SIZE, cursor }, signal),
  });

  const remove = useConfirmedAction({
    action: (service: Service) => servicesApi.remove(service.id),
    onSuccess: (service) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.services.all });
      notifications.show({ color: 'green', title: 'Service deleted', message: `${service.name} (${service.key})` });
    },
  });
  const deleting = remove.target;

  const filtered = Boolean(search.q || search.tier || search.team);

  const { openCreate, openEdit } = dialog;
  const clearFilters = () => {
    q.reset();
    void navigate({ search: {}, replace: true });
  };

  return (
    <>
      <PageHeader
        title="Services"
        description="What you ship: each service's criticality, owner and dependencies decide the process its changes get."
        actions={
          <PermissionButton permission="service:create" leftSection={<IconPlus size={14} />} onClick={openCreate}>
            New service
          </PermissionButton>
        }
      />

      <FilterBar label="Filter services">
        <FilterSearchInput label="Search services" placeholder="Search by key or name" w={260} text={q} />
        <FilterSelect
          label="Criticality"
          w={170}
          value={search.tier ? String(search.tier) : ''}
          onChange={(value) => {
            const v = Number(value);
            setFilter({ tier: v === 1 || v === 2 || v === 3 || v === 4 ? v : undefined });
          }}
          allLabel="All tiers"
          options={([1, 2, 3, 4] as const).map((t) => ({ value: String(t), label: `Tier ${SERVICE_TIER_LABELS[t]}` }))}
        />
        <FilterSelect
          label="Owning team"
          w={190}
          value={search.team ?? ''}
          onChange={(v) => setFilter({ team: v || undefined })}
          allLabel="All teams"
          options={(teams.data?.items ?? []).map((t) => ({ value: t.key, label: t.name }))}
          keepCurrent
        />
        <ClearFiltersButton show={filtered} onClick={clearFilters} />
      </FilterBar>

      <ListPageStates
        query={list}
        loadingLabel="Loading services"
        errorTitle="Could not load services"
        isEmpty={items.length === 0}
        empty={
          filtered ? (
            <NoFilterMatchesPanel
              title="No services match these filters"
              description="Try a different search or tier, or clear the filters."
              onClear={clearFilters}
            />
          ) : (
            <EmptyStatePanel
              icon={<IconServer2 size={28} />}
              title="No services yet"
              description="Add the services your teams ship — releases, changes and deployments all hang off them. Start with your most critical one."
              action={
                <PermissionButton permission="service:create" leftSection={<IconPlus size={14} />} onClick={openCreate}>
                  Add your first service
                </PermissionButton>
              }
            />
          )
        }
      >
        <TablePanel minWidth={820}>
          <Table highlightOnHover stickyHeader aria-label="Services" data-testid="services-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Key</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Tier</Table.Th>
                <Table.Th>Owner team</Table.Th>
                <Table.Th>Governance profile</Table.Th>
                <Table.Th>Depends on</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((service) => (
                <Table.Tr key={service.id} data-testid={`service-row-${service.key}`}>
                  <Table.Td>
                    <Text className="sg-mono" fw={500}>
                      {service.key}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <EditableNameCell
                      name={service.name}
                      description={service.description}
                      canEdit={canUpdate}
                      onEdit={() => openEdit(service)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <ServiceTierBadge tier={service.tier} />
                  </Table.Td>
                  <Table.Td>
                    <OwnerTeamText team={service.ownerTeam} />
                  </Table.Td>
                  <Table.Td>
                    {service.governanceProfile ? (
                      <Text size="sm" className="sg-mono">
                        {service.governanceProfile}
                      </Text>
                    ) : (
                      <Text size="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <DependsOnCell service={service} />
                  </Table.Td>
                  <Table.Td className="sg-table-row-actions">
                    <EditDeleteRowActions
                      entity="service"
                      itemKey={service.key}
                      onEdit={() => openEdit(service)}
                      onDelete={() => remove.ask(service)}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TablePanel>
        <CursorLoadMore list={list} shown={items.length} noun="service" nounPlural="services" />
      </ListPageStates>

      <ServiceFormModal opened={dialog.opened} onClose={dialog.close} service={dialog.editing} />

      <ConfirmDialog
        {...remove.dialogProps}
        title={deleting ? `Delete service ${deleting.key}?` : 'Delete service'}
        confirmLabel="Delete service"
      >
        <Text size="sm">
          {deleting?.name} will be removed from the catalog. This cannot be undone. A service that other records still
          refer to cannot be deleted.
        </Text>
      </ConfirmDialog>
    </>
  );
}

function DependsOnCell({ service }: { service: Service }) {
  if (service.dependsOn.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        None
      </Text>
    );
  }
  const shown = service.dependsOn.slice(0, 3);
  const rest = service.dependsOn.length - shown.length;
  return (
    <Tooltip
      label={service.dependsOn.map((d) => d.key).join(', ')}
      disabled={rest === 0}
      multiline
      maw={320}
    >
      <Text size="sm" className="sg-mono" lineClamp={1}>
        {shown.map((d) => d.key).join(', ')}
        {rest > 0 ? ` +${rest} more` : ''}
      </Text>
    </Tooltip>
  );
}
