import { useState } from 'react';
import {
  Badge,
  Button,
  Divider,
  Group,
  Modal,
  NativeSelect,
  SegmentedControl,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/client';
import { calendarApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { CalendarFeed, CalendarFeedCreated, FeedScope } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useConfirmedAction } from '../../components/useConfirmedAction';
import { CopyableSecretField, SecretShownOnceWarning } from '../../components/SecretShownOnce';
import { ErrorState } from '../../components/ErrorState';
import { FormProblem } from '../../components/FormProblem';
import { RevokeActionIcon } from '../../components/RowActions';
import { formatDate } from '../../lib/format';

interface Option {
  value: string;
  label: string;
}

interface SubscribeModalProps {
  opened: boolean;
  onClose: () => void;
  teams: Option[];
  services: Option[];
  /** preselect from the page's filters */
  defaultScope: FeedScope;
  defaultRef: string;
}

/** Create an ICS subscription for a team or a service (its URL is shown once), and list / revoke my feeds. */
export function SubscribeModal({ opened, onClose, teams, services, defaultScope, defaultRef }: SubscribeModalProps) {
  const queryClient = useQueryClient();
  const [scope, setScope] = useState<FeedScope>(defaultScope);
  const [ref, setRef] = useState(defaultRef);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CalendarFeedCreated | null>(null);

  const feeds = useQuery({ queryKey: queryKeys.calendar.feeds, queryFn: ({ signal }) => calendarApi.feeds(signal), enabled: opened });

  const create = useMutation({
    mutationFn: () => calendarApi.createFeed({ scope, ref, name: name.trim() || undefined }),
    onSuccess: (result) => {
      setCreated(result);
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendar.feeds });
    },
  });

  const revoke = useConfirmedAction({
    action: (feed: CalendarFeed) => calendarApi.revokeFeed(feed.id),
    onSuccess: (feed) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendar.feeds });
      notifications.show({ color: 'green', title: 'Feed revoked', message: `${feed.name}: calendar apps can no longer read it.` });
    },
  });
  const revoking = revoke.target;

  const options = scope === 'team' ? teams : services;
  const close = () => {
    setCreated(null);
    create.reset();
    onClose();
  };
  const absoluteUrl = created ? new URL(created.url, window.location.origin).toString() : '';
  const activeFeeds = (feeds.data?.items ?? []).filter((f) => !f.revokedAt);

  return (
    <>
      <Modal opened={opened && revoking === null} onClose={close} title={<Text fw={600}>Subscribe in your calendar app</Text>} size="lg">
        <Stack gap="md">
          {created ? (
            <Stack gap="sm" data-testid="feed-created">
              <Text size="sm">
                Feed <b>{created.feed.name}</b> created. Add this address to your calendar app (Google Calendar: “From URL”;
                Outlook: “Subscribe from web”; Apple Calendar: “New calendar subscription”).
              </Text>
              <CopyableSecretField
                ariaLabel="Subscription URL"
                value={absoluteUrl}
                testId="feed-url"
                copiedColor="green"
                copiedVariant="light"
              />
              <SecretShownOnceWarning title="Shown only once">
                This address is a secret: anyone who has it can read this calendar. Copy it now — Shipgate will not show it
                again. If it leaks, revoke the feed below and create a new one.
              </SecretShownOnceWarning>
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setCreated(null)}>
                  Create another
                </Button>
                <Button onClick={close}>Done</Button>
              </Group>
            </Stack>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (ref) create.mutate();
              }}
            >
              <Stack gap="sm">
                <Text size="sm" c="dimmed">
                  A feed carries the releases, phases and gates of one team or one service, from a month ago to a year ahead.
                </Text>
                <SegmentedControl
                  aria-label="Feed for"
                  value={scope}
                  onChange={(v) => {
                    setScope(v as FeedScope);
                    setRef('');
                  }}
                  data={[
                    { value: 'team', label: 'A team' },
                    { value: 'service', label: 'A service' },
                  ]}
                />
                <NativeSelect
                  label={scope === 'team' ? 'Team' : 'Service'}
                  required
                  value={ref}
                  onChange={(e) => setRef(e.currentTarget.value)}
                  data={[{ value: '', label: scope === 'team' ? 'Choose a team…' : 'Choose a service…' }, ...options]}
                  error={fieldError(create.error, 'ref')}
                />
                <TextInput
                  label="Name"
                  description="Optional: how the feed appears in your list below"
                  value={name}
                  onChange={(e) => setName(e.currentTarget.value)}
                  maxLength={200}
                />
                <FormProblem error={create.error} />
                <Group justify="flex-end">
                  <Button variant="default" onClick={close}>
                    Cancel
                  </Button>
                  <Button type="submit" disabled={!ref} loading={create.isPending}>
                    Create feed
                  </Button>
                </Group>
              </Stack>
            </form>
          )}

          <Divider label="My feeds" labelPosition="left" />
          {feeds.isPending ? (
            <Skeleton height={60} />
          ) : feeds.isError ? (
            <ErrorState error={feeds.error} title="Could not load your feeds" onRetry={() => void feeds.refetch()} retrying={feeds.isFetching} />
          ) : activeFeeds.length === 0 ? (
            <Text size="sm" c="dimmed">
              You have no active feeds yet. Create one above to follow a team's or a service's releases in your calendar app.
            </Text>
          ) : (
            <Table aria-label="My calendar feeds" data-testid="feeds-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>For</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {activeFeeds.map((feed) => (
                  <Table.Tr key={feed.id}>
                    <Table.Td>
                      <Text size="sm">{feed.name}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        <Badge variant="light" color="gray" size="sm">
                          {feed.scope === 'team' ? 'Team' : 'Service'}
                        </Badge>
                        <Text size="sm">{feed.target.name}</Text>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatDate(feed.createdAt)}</Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      <RevokeActionIcon
                        name={feed.name}
                        onClick={() => revoke.ask(feed)}
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      </Modal>

      <ConfirmDialog
        {...revoke.dialogProps}
        title={revoking ? `Revoke feed “${revoking.name}”?` : 'Revoke feed'}
        confirmLabel="Revoke feed"
      >
        <Text size="sm">Calendar apps subscribed to this address stop receiving updates. This cannot be undone.</Text>
      </ConfirmDialog>
    </>
  );
}

function fieldError(error: unknown, path: string): string | undefined {
  return error instanceof ApiError ? error.fieldErrors.find((e) => e.path === path)?.message : undefined;
}
