import { Fragment, useEffect, useState } from 'react';
import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { IconChevronDown, IconChevronRight, IconHistory, IconLock, IconSearch } from '@tabler/icons-react';
import { auditApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { AuditEvent } from '../../api/types';
import {
  CursorLoadMore,
  EmptyStatePanel,
  ListPageStates,
  NoFilterMatchesPanel,
  TablePanel,
} from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { permissionHint } from '../../components/PermissionButton';
import { ClearFiltersButton } from '../../components/UrlFilterBar';
import { useCursorList } from '../../components/useCursorList';
import { formatDateTime, localInputToRfc3339, rfc3339ToLocalInput, viewerTimeZone, zoneName } from '../../lib/format';
import type { AuditSearch } from '../../routes/search';
import { usePermission } from '../auth/session';

const ROUTE = '/authed/audit' as const;
const PAGE_SIZE = 100;

interface FilterDraft {
  entityType: string;
  entityId: string;
  actor: string;
  from: string;
  to: string;
}

function toDraft(search: AuditSearch): FilterDraft {
  return {
    entityType: search.entityType ?? '',
    entityId: search.entityId ?? '',
    actor: search.actor ?? '',
    from: rfc3339ToLocalInput(search.from),
    to: rfc3339ToLocalInput(search.to),
  };
}

export function AuditPage() {
  const canRead = usePermission('audit:read');
  const search = useSearch({ from: ROUTE });
  const navigate = useNavigate({ from: '/audit' });
  const [draft, setDraft] = useState<FilterDraft>(() => toDraft(search));
  useEffect(() => setDraft(toDraft(search)), [search]);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());

  const filters = {
    entityType: search.entityType,
    entityId: search.entityId,
    actor: search.actor,
    from: search.from,
    to: search.to,
  };
  const { list, items } = useCursorList({
    queryKey: queryKeys.audit.list(filters),
    fetchPage: (cursor, signal) => auditApi.list({ ...filters, limit: PAGE_SIZE, cursor }, signal),
    enabled: canRead,
  });

  const apply = () => {
    void navigate({
      search: {
        entityType: draft.entityType.trim() || undefined,
        entityId: draft.entityId.trim() || undefined,
        actor: draft.actor.trim() || undefined,
        from: localInputToRfc3339(draft.from),
        to: localInputToRfc3339(draft.to),
      },
    });
  };
  const clear = () => void navigate({ search: {} });
  const filtered = Object.values(filters).some(Boolean);
  const toggle = (id: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <>
      <PageHeader
        title="Audit"
        description={
          <>
            Who did what, and when. Every change to Shipgate data is recorded here. Times are in your zone:{' '}
            <b>{viewerTimeZone}</b> ({zoneName()}).
          </>
        }
      />

      {!canRead ? (
        <Alert color="gray" icon={<IconLock size={16} />} title="You cannot view the audit log">
          {permissionHint('audit:read')}
        </Alert>
      ) : (
        <>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              apply();
            }}
            role="search"
            aria-label="Filter audit events"
          >
            <Group gap="xs" mb="sm" align="flex-end">
              <TextInput
                label="Entity type"
                placeholder="service"
                size="xs"
                w={140}
                value={draft.entityType}
                onChange={(e) => setDraft({ ...draft, entityType: e.currentTarget.value })}
              />
              <TextInput
                label="Entity ID"
                placeholder="id"
                size="xs"
                w={220}
                classNames={{ input: 'sg-mono' }}
                value={draft.entityId}
                onChange={(e) => setDraft({ ...draft, entityId: e.currentTarget.value })}
              />
              <TextInput
                label="Actor"
                placeholder="user id"
                size="xs"
                w={180}
                value={draft.actor}
                onChange={(e) => setDraft({ ...draft, actor: e.currentTarget.value })}
              />
              <TextInput
                label={`From (${zoneName()})`}
                type="datetime-local"
                size="xs"
                w={190}
                value={draft.from}
                onChange={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
              />
              <TextInput
                label={`To (${zoneName()})`}
                type="datetime-local"
                size="xs"
                w={190}
                value={draft.to}
                onChange={(e) => setDraft({ ...draft, to: e.currentTarget.value })}
              />
              <Button type="submit" leftSection={<IconSearch size={14} />}>
                Apply filters
              </Button>
              <ClearFiltersButton show={filtered} onClick={clear}>
                Clear
              </ClearFiltersButton>
            </Group>
          </form>

          <ListPageStates
            query={list}
            skeletonRows={8}
            loadingLabel="Loading audit events"
            errorTitle="Could not load the audit log"
            isEmpty={items.length === 0}
            empty={
              filtered ? (
                <NoFilterMatchesPanel
                  icon={<IconHistory size={28} />}
                  title="No events match these filters"
                  description="Widen the time range or clear the filters."
                  onClear={clear}
                />
              ) : (
                <EmptyStatePanel
                  icon={<IconHistory size={28} />}
                  title="No audit events yet"
                  description="Events appear here as soon as anyone creates or changes something — for example a service in the catalog."
                />
              )
            }
          >
            <>
              <TablePanel minWidth={900}>
                <Table aria-label="Audit events" data-testid="audit-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th w={36}>
                        <span aria-hidden>&nbsp;</span>
                      </Table.Th>
                      <Table.Th>#</Table.Th>
                      <Table.Th>Time ({viewerTimeZone})</Table.Th>
                      <Table.Th>Actor</Table.Th>
                      <Table.Th>Action</Table.Th>
                      <Table.Th>Entity</Table.Th>
                      <Table.Th>Request ID</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {items.map((event) => (
                      <AuditRow
                        key={event.id}
                        event={event}
                        open={expanded.has(event.id)}
                        onToggle={() => toggle(event.id)}
                        onFilterEntity={() =>
                          void navigate({
                            search: (prev) => ({ ...prev, entityType: event.entityType, entityId: event.entityId }),
                          })
                        }
                      />
                    ))}
                  </Table.Tbody>
                </Table>
              </TablePanel>
              <CursorLoadMore list={list} shown={items.length} noun="event" nounPlural="events" />
            </>
          </ListPageStates>
        </>
      )}
    </>
  );
}

/** Long opaque ids shortened for scanning; the full value is in the title and in the filter. */
function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

function AuditRow({
  event,
  open,
  onToggle,
  onFilterEntity,
}: {
  event: AuditEvent;
  open: boolean;
  onToggle: () => void;
  onFilterEntity: () => void;
}) {
  const hasDiff = event.diff !== null && event.diff !== undefined;
  return (
    <Fragment>
      <Table.Tr>
        <Table.Td>
          {hasDiff ? (
            <ActionIcon
              variant="subtle"
              color="gray"
              size="sm"
              onClick={onToggle}
              aria-expanded={open}
              aria-label={open ? `Hide changes of event ${event.seq}` : `Show changes of event ${event.seq}`}
            >
              {open ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
            </ActionIcon>
          ) : null}
        </Table.Td>
        <Table.Td>
          <Text size="xs" c="dimmed" className="sg-mono">
            {event.seq}
          </Text>
        </Table.Td>
        <Table.Td>
          <Tooltip label={`${event.at} (UTC as recorded)`}>
            <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
              {formatDateTime(event.at)} <Text span size="xs" c="dimmed">{zoneName(event.at)}</Text>
            </Text>
          </Tooltip>
        </Table.Td>
        <Table.Td>
          {event.actor ? (
            <Text size="sm">{event.actor.name}</Text>
          ) : (
            <Badge color="gray" variant="outline">
              System
            </Badge>
          )}
        </Table.Td>
        <Table.Td>
          <Code>{event.action}</Code>
        </Table.Td>
        <Table.Td>
          <Tooltip label="Show only events for this entity">
            <Anchor component="button" type="button" size="sm" onClick={onFilterEntity} style={{ whiteSpace: 'nowrap' }}>
              {event.entityType}{' '}
              <Text span className="sg-mono" c="dimmed" title={event.entityId}>
                {shortId(event.entityId)}
              </Text>
            </Anchor>
          </Tooltip>
        </Table.Td>
        <Table.Td>
          <Text size="xs" className="sg-mono" c="dimmed" title={event.requestId ?? undefined} style={{ whiteSpace: 'nowrap' }}>
            {event.requestId ? shortId(event.requestId) : '—'}
          </Text>
        </Table.Td>
      </Table.Tr>
      {open && hasDiff ? (
        <Table.Tr>
          <Table.Td />
          <Table.Td colSpan={6}>
            <Code block style={{ maxHeight: 320, overflow: 'auto' }}>
              {JSON.stringify(event.diff, null, 2)}
            </Code>
          </Table.Td>
        </Table.Tr>
      ) : null}
    </Fragment>
  );
}
