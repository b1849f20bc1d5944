import { useState } from 'react';
import { Alert, Badge, Button, Drawer, Group, Paper, SegmentedControl, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { IconCircleCheck, IconCircleX } from '@tabler/icons-react';
import { windowsApi } from '../../api/endpoints';
import type { Activity, Evaluation, EvaluationEffect } from '../../api/types';
import { FormProblem } from '../../components/FormProblem';
import { localInputToRfc3339, rfc3339ToLocalInput, viewerTimeZone } from '../../lib/format';
import { useTeams } from '../teams/useTeams';
import { formatInZone, KIND_COLORS, KIND_LABELS, localiseInstants, zoneAbbrev } from './model';
import { fieldErrorsOf, useCatalogOptions } from './options';

const EFFECT_LABELS: Record<EvaluationEffect, string> = {
  blocks: 'Blocks',
  allows: 'Allows',
  overridden: 'Overridden',
  held_by_you: 'Held by you',
  outside: 'Outside it',
};
const EFFECT_COLORS: Record<EvaluationEffect, string> = {
  blocks: 'red',
  allows: 'green',
  overridden: 'orange',
  held_by_you: 'green',
  outside: 'red',
};
const PATHS: Record<string, string> = { service: 'service', environment: 'environment', start: 'start', end: 'end', kind: 'kind', team: 'team' };

const inViewer = (iso: string) => `${formatInZone(iso, viewerTimeZone)} ${zoneAbbrev(iso, viewerTimeZone)}`;

/** "May this change or deployment happen here, then?" — every window that applies, and the next allowed slot. */
export function EvaluateDrawer({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const options = useCatalogOptions();
  const teams = useTeams(opened);
  const [service, setService] = useState<string | null>(null);
  const [environment, setEnvironment] = useState<string | null>(null);
  const [kind, setKind] = useState<Activity>('deployment');
  const [team, setTeam] = useState<string | null>(null);
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');

  const evaluate = useMutation({
    mutationFn: () =>
      windowsApi.evaluate({
        service: service ?? '',
        environment: environment ?? '',
        kind,
        start: localInputToRfc3339(start) ?? start,
        end: localInputToRfc3339(end) ?? end,
        ...(team ? { team } : {}),
      }),
  });
  const errors = fieldErrorsOf(evaluate.error, PATHS);
  const missing = !service || !environment || !start || !end;

  const useSlot = (slot: { start: string; end: string }) => {
    setStart(rfc3339ToLocalInput(slot.start));
    setEnd(rfc3339ToLocalInput(slot.end));
    evaluate.reset();
  };

  return (
    <Drawer opened={opened} onClose={onClose} position="right" size={560} title={<Text fw={600}>Evaluate: may it happen then?</Text>}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          evaluate.mutate();
        }}
        noValidate
        data-testid="evaluate-form"
      >
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            Checks every blackout, freeze, maintenance window and approved booking that applies. Times are in your zone,{' '}
            {viewerTimeZone}.
          </Text>
          <SegmentedControl
            aria-label="Activity"
            value={kind}
            onChange={(v) => setKind(v as Activity)}
            data={[
              { value: 'deployment', label: 'Deployment' },
              { value: 'change', label: 'Change' },
            ]}
          />
          <Group grow align="flex-start">
            <Select label="Service" required searchable data={options.services} value={service} onChange={setService} error={errors.fields.service} />
            <Select
              label="Environment"
              required
              searchable
              data={options.environments}
              value={environment}
              onChange={setEnvironment}
              error={errors.fields.environment}
            />
          </Group>
          <Group grow align="flex-start">
            <TextInput type="datetime-local" label="From" required value={start} onChange={(e) => setStart(e.currentTarget.value)} error={errors.fields.start} />
            <TextInput type="datetime-local" label="Until" required value={end} onChange={(e) => setEnd(e.currentTarget.value)} error={errors.fields.end} />
          </Group>
          <Select
            label="Asking for team"
            description="Optional: a team holding an approved booking of the environment is not blocked by it."
            clearable
            searchable
            data={(teams.data?.items ?? []).map((t) => ({ value: t.key, label: `${t.name} (${t.key})` }))}
            value={team}
            onChange={setTeam}
            error={errors.fields.team}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={evaluate.isPending} disabled={missing}>
              Evaluate
            </Button>
          </Group>
          {evaluate.isError ? <FormProblem error={evaluate.error} unplaced={errors.unplaced} title="Could not evaluate" /> : null}
          {evaluate.data ? <EvaluationResult result={evaluate.data} onUseSlot={useSlot} /> : null}
        </Stack>
      </form>
    </Drawer>
  );
}

function EvaluationResult({ result, onUseSlot }: { result: Evaluation; onUseSlot: (slot: { start: string; end: string }) => void }) {
  return (
    <Stack gap="xs" data-testid="evaluation-result">
      <Alert
        color={result.allowed ? 'green' : 'red'}
        variant="light"
        icon={result.allowed ? <IconCircleCheck size={18} /> : <IconCircleX size={18} />}
        title={<span data-testid="evaluation-verdict">{result.allowed ? 'Allowed' : 'Blocked'}</span>}
      >
        <Text size="sm">
          {result.allowed
            ? result.windows.length
              ? 'Windows apply, but none stops it.'
              : 'No window applies at that time.'
            : `${result.windows.filter((w) => w.effect === 'blocks' || w.effect === 'outside').length} window(s) stop it.`}
        </Text>
      </Alert>

      {result.windows.length ? (
        <>
          <Title order={3} fz="sm">
            Windows that apply
          </Title>
          {result.windows.map((w, i) => (
            <Paper key={`${w.window.id}-${i}`} withBorder p="xs" radius="sm" data-testid="evaluation-window">
              <Group gap="xs" justify="space-between" wrap="nowrap">
                <Group gap="xs" wrap="nowrap">
                  <Badge color={KIND_COLORS[w.window.kind]} variant="light">
                    {KIND_LABELS[w.window.kind]}
                  </Badge>
                  <Text fw={500} size="sm">
                    {w.window.name}
                  </Text>
                </Group>
                <Badge color={EFFECT_COLORS[w.effect]} variant="outline">
                  {EFFECT_LABELS[w.effect]}
                </Badge>
              </Group>
              <Text size="sm" mt={4}>
                {localiseInstants(w.reason, viewerTimeZone)}
              </Text>
              {w.occurrence ? (
                <Text size="xs" c="dimmed">
                  Occurrence: {inViewer(w.occurrence.start)} → {inViewer(w.occurrence.end)}
                </Text>
              ) : null}
              {w.scopeMatch.length ? (
                <Text size="xs" c="dimmed">
                  Applies because of: {w.scopeMatch.join(', ')}
                </Text>
              ) : null}
              {w.override ? (
                <Text size="xs" c="orange">
                  Overridden by {w.override.by}: {w.override.reason}
                </Text>
              ) : null}
            </Paper>
          ))}
        </>
      ) : null}

      {!result.allowed ? (
        <Paper withBorder p="xs" radius="sm" data-testid="evaluation-next-allowed">
          {result.nextAllowed ? (
            <Group justify="space-between" gap="xs">
              <div>
                <Text size="sm" fw={500}>
                  Next allowed slot
                </Text>
                <Text size="sm">
                  {inViewer(result.nextAllowed.start)} → {inViewer(result.nextAllowed.end)}
                </Text>
              </div>
              <Button size="xs" variant="default" onClick={() => onUseSlot(result.nextAllowed!)}>
                Use this slot
              </Button>
            </Group>
          ) : (
            <Text size="sm">No allowed slot of the same length was found in the search horizon.</Text>
          )}
        </Paper>
      ) : null}
    </Stack>
  );
}
