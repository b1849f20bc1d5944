import { useState } from 'react';
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  EmptyState,
  Group,
  Modal,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  IconAlertTriangle,
  IconCheck,
  IconCircleCheck,
  IconCircleX,
  IconClockX,
  IconCopy,
  IconKey,
  IconPlus,
  IconTrash,
} from '@tabler/icons-react';
import type { ProblemFieldError } from '../../api/client';
import { tokensApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { ApiToken, TokenCreated } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorState } from '../../components/ErrorState';
import { FormProblem } from '../../components/FormProblem';
import { mapFieldErrors } from '../../components/formErrors';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { TableSkeleton } from '../../components/TableSkeleton';
import { formatDateTime, formatRelative, viewerTimeZone } from '../../lib/format';

type TokenStatus = 'active' | 'revoked' | 'expired';

function tokenStatus(token: ApiToken, now = Date.now()): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= now) return 'expired';
  return 'active';
}

function StatusBadge({ status }: { status: TokenStatus }) {
  if (status === 'active')
    return (
      <Badge color="green" leftSection={<IconCircleCheck size={12} />}>
        Active
      </Badge>
    );
  if (status === 'revoked')
    return (
      <Badge color="red" leftSection={<IconCircleX size={12} />}>
        Revoked
      </Badge>
    );
  return (
    <Badge color="gray" leftSection={<IconClockX size={12} />}>
      Expired
    </Badge>
  );
}

const EXPIRY_OPTIONS = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '180', label: '180 days' },
  { value: '365', label: '1 year' },
];

export function TokensPage() {
  const queryClient = useQueryClient();
  const [createOpen, setCreateOpen] = useState(false);
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);

  const tokens = useQuery({
    queryKey: queryKeys.tokens.all,
    queryFn: ({ signal }) => tokensApi.list(signal),
  });

  const revoke = useMutation({
    mutationFn: (token: ApiToken) => tokensApi.revoke(token.id),
    onSuccess: (_d, token) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.tokens.all });
      notifications.show({ color: 'green', title: 'Token revoked', message: `${token.name} can no longer be used.` });
      setRevoking(null);
    },
  });

  const items = tokens.data?.items ?? [];
  const newButton = (
    <PermissionButton permission="token:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
      New token
    </PermissionButton>
  );

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let scripts, CI pipelines and the CLI call the Shipgate API as you. Treat them like passwords."
        actions={newButton}
      />

      {tokens.isPending ? (
        <TableSkeleton rows={3} label="Loading tokens" />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} title="Could not load tokens" onRetry={() => void tokens.refetch()} retrying={tokens.isFetching} />
      ) : items.length === 0 ? (
        <Paper withBorder p="xl" radius="md">
          <EmptyState
            icon={<IconKey size={28} />}
            title="No API tokens"
            description="Create a token to use the API from CI or the command line: send it as “Authorization: Bearer sg_…”."
          >
            <Group justify="center" mt="sm">
              <PermissionButton permission="token:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
                Create your first token
              </PermissionButton>
            </Group>
          </EmptyState>
        </Paper>
      ) : (
        <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
          <Table.ScrollContainer minWidth={760}>
            <Table highlightOnHover aria-label="API tokens" data-testid="tokens-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Prefix</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((token) => {
                  const status = tokenStatus(token);
                  return (
                    <Table.Tr key={token.id}>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {token.name}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={status} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{token.kind === 'service_account' ? 'Service account' : 'Personal'}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Code>{token.prefix}…</Code>
                      </Table.Td>
                      <Table.Td>
                        <TimeCell iso={token.createdAt} />
                      </Table.Td>
                      <Table.Td>{token.expiresAt ? <TimeCell iso={token.expiresAt} /> : <Text size="sm">Never</Text>}</Table.Td>
                      <Table.Td>
                        {token.lastUsedAt ? (
                          <TimeCell iso={token.lastUsedAt} />
                        ) : (
                          <Text size="sm" c="dimmed">
                            Never used
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td className="sg-table-row-actions">
                        {status === 'revoked' ? null : (
                          <Tooltip label={`Revoke ${token.name}`}>
                            <ActionIcon
                              variant="subtle"
                              color="red"
                              aria-label={`Revoke ${token.name}`}
                              onClick={() => {
                                revoke.reset();
                                setRevoking(token);
                              }}
                            >
                              <IconTrash size={16} />
                            </ActionIcon>
                          </Tooltip>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}

      <Modal
        opened={createOpen}
        onClose={() => setCreateOpen(false)}
        title={<Text fw={600}>New API token</Text>}
        size="md"
      >
        {createOpen ? (
          <CreateTokenForm
            onCancel={() => setCreateOpen(false)}
            onCreated={(result) => {
              setCreateOpen(false);
              setCreated(result);
              void queryClient.invalidateQueries({ queryKey: queryKeys.tokens.all });
            }}
          />
        ) : null}
      </Modal>

      <Modal
        opened={created !== null}
        onClose={() => setCreated(null)}
        title={<Text fw={600}>Copy your new token</Text>}
        size="lg"
        closeOnClickOutside={false}
      >
        {created ? <SecretOnce created={created} onDone={() => setCreated(null)} /> : null}
      </Modal>

      <ConfirmDialog
        opened={revoking !== null}
        title={revoking ? `Revoke token “${revoking.name}”?` : 'Revoke token'}
        confirmLabel="Revoke token"
        onConfirm={() => revoking && revoke.mutate(revoking)}
        onClose={() => setRevoking(null)}
        loading={revoke.isPending}
        error={revoke.error}
      >
        <Text size="sm">
          Anything using this token will stop working immediately. Revoking cannot be undone — create a new token if you
          need access again.
        </Text>
      </ConfirmDialog>
    </>
  );
}

function TimeCell({ iso }: { iso: string }) {
  return (
    <Tooltip label={`${formatDateTime(iso)} (${viewerTimeZone})`}>
      <Text size="sm" c="dimmed">
        {formatRelative(iso)}
      </Text>
    </Tooltip>
  );
}

function CreateTokenForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (r: TokenCreated) => void }) {
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [unplaced, setUnplaced] = useState<ProblemFieldError[]>([]);
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', expiresInDays: '30' },
    validate: {
      name: (v: string) => (!v.trim() ? 'Name the token after where it will be used' : v.length > 200 ? 'At most 200 characters' : null),
    },
  });
  const create = useMutation({
    mutationFn: (values: { name: string; expiresInDays: string }) =>
      tokensApi.create(values.name.trim(), Number(values.expiresInDays)),
    onMutate: () => {
      setSubmitError(null);
      setUnplaced([]);
    },
    onSuccess: onCreated,
    onError: (error) => {
      const { fieldErrors, unplaced: rest } = mapFieldErrors(error, ['name', 'expiresInDays']);
      form.setErrors(fieldErrors);
      setUnplaced(rest);
      setSubmitError(error);
    },
  });
  return (
    <form onSubmit={form.onSubmit((v) => create.mutate(v))} noValidate>
      <Stack gap="sm">
        <FormProblem error={submitError} unplaced={unplaced} title="Could not create the token" />
        <TextInput
          label="Name"
          description="Where it will be used, e.g. “GitHub Actions deploy”."
          required
          data-autofocus
          maxLength={200}
          {...form.getInputProps('name')}
        />
        <NativeSelect label="Expires in" data={EXPIRY_OPTIONS} {...form.getInputProps('expiresInDays')} />
        <Group justify="flex-end" gap="xs" mt="xs">
          <Button variant="default" onClick={onCancel} disabled={create.isPending}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Create token
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function SecretOnce({ created, onDone }: { created: TokenCreated; onDone: () => void }) {
  return (
    <Stack gap="sm">
      <Alert color="yellow" icon={<IconAlertTriangle size={16} />} title="This is the only time you will see this token">
        Copy it now and store it somewhere safe, such as your CI secret store. Shipgate keeps only a hash; if you lose it,
        revoke it and create a new one.
      </Alert>
      <Text size="sm">
        Token <b>{created.token.name}</b>
        {created.token.expiresAt ? ` — expires ${formatDateTime(created.token.expiresAt)} (${viewerTimeZone})` : ''}
      </Text>
      <Group gap="xs" wrap="nowrap" align="center">
        <TextInput
          label="Token secret"
          value={created.secret}
          readOnly
          onFocus={(e) => e.currentTarget.select()}
          classNames={{ input: 'sg-mono' }}
          style={{ flex: 1 }}
          data-testid="token-secret"
        />
        <CopyButton value={created.secret} timeout={2500}>
          {({ copied, copy }) => (
            <Button
              mt={22}
              color={copied ? 'teal' : undefined}
              leftSection={copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
              onClick={copy}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Group justify="flex-end" mt="xs">
        <Button variant="default" onClick={onDone}>
          I have copied it
        </Button>
      </Group>
    </Stack>
  );
}
