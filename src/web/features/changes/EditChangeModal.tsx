import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Group, Modal, MultiSelect, NativeSelect, Stack, Switch, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IconAlertTriangle, IconInfoCircle, IconRefresh } from '@tabler/icons-react';
import { api, isApiError } from '../../api/client';
import { changesApi, environmentsApi, servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Change, CloseCode, SecurityLevel } from '../../api/types';
import { FormActions, useFormSubmitErrors } from '../../components/EntityFormParts';
import { FormProblem } from '../../components/FormProblem';
import { useOpenCount } from '../../components/useOpenCount';
import { useTeams } from '../teams/useTeams';
import { CHANGE_STATE_LABELS, changeKeys, CLOSE_CODE_LABELS, localInputToIso, SecurityImpactSelect, toLocalInput, ZoneNote } from './model';

type Impact = NonNullable<Change['impact']>;

interface Values {
  title: string;
  description: string;
  justification: string;
  impact: '' | Impact;
  securityLevel: '' | SecurityLevel;
  securityNotes: string;
  services: string[];
  environments: string[];
  assignmentTeam: string;
  plannedStart: string;
  plannedEnd: string;
  implementationPlan: string;
  backoutPlan: string;
  testPlan: string;
  emergencyReason: string;
  onHold: boolean;
  onHoldReason: string;
  actualStart: string;
  actualEnd: string;
  closeCode: '' | CloseCode;
  closeNotes: string;
}

/** The body of PATCH /changes/{ref}: only what changed. */
interface ChangePatchBody {
  title?: string;
  description?: string;
  justification?: string;
  impact?: Impact | null;
  securityImpact?: { level: SecurityLevel; notes?: string } | null;
  services?: string[];
  environments?: string[];
  assignmentTeam?: string | null;
  plannedStart?: string | null;
  plannedEnd?: string | null;
  implementationPlan?: string;
  backoutPlan?: string;
  testPlan?: string;
  emergencyReason?: string;
  onHold?: boolean;
  onHoldReason?: string;
  actualStart?: string | null;
  actualEnd?: string | null;
  closeCode?: CloseCode | null;
  closeNotes?: string;
}

const FIELDS = [
  'title', 'description', 'justification', 'impact', 'securityLevel', 'services', 'environments', 'assignmentTeam', 'plannedStart', 'plannedEnd',
  'implementationPlan', 'backoutPlan', 'testPlan', 'emergencyReason', 'onHold', 'onHoldReason', 'actualStart', 'actualEnd', 'closeCode', 'closeNotes',
] as const;
const ALIASES: Record<string, string> = { securityImpact: 'securityLevel' };

/** Edits that restart the approvals in Authorize or Scheduled (and are fixed from Implement on). */
const MATERIAL = ['plannedStart', 'plannedEnd', 'services', 'environments', 'implementationPlan', 'backoutPlan', 'testPlan'] as const;
const MATERIAL_LABELS: Record<(typeof MATERIAL)[number], string> = {
  plannedStart: 'planned start', plannedEnd: 'planned end', services: 'services', environments: 'environments',
  implementationPlan: 'implementation plan', backoutPlan: 'backout plan', testPlan: 'test plan',
};

const localOrEmpty = (iso: string | null) => (iso ? toLocalInput(iso) : '');

function valuesOf(c: Change): Values {
  return {
    title: c.title,
    description: c.description,
    justification: c.justification,
    impact: c.impact ?? '',
    securityLevel: c.securityImpact?.level ?? '',
    securityNotes: c.securityImpact?.notes ?? '',
    services: c.services.map((s) => s.key),
    environments: c.environments.map((e) => e.id),
    assignmentTeam: c.assignmentTeam?.key ?? '',
    plannedStart: localOrEmpty(c.plannedStart),
    plannedEnd: localOrEmpty(c.plannedEnd),
    implementationPlan: c.implementationPlan,
    backoutPlan: c.backoutPlan,
    testPlan: c.testPlan,
    emergencyReason: c.emergencyReason ?? '',
    onHold: c.onHold,
    onHoldReason: c.onHoldReason,
    actualStart: localOrEmpty(c.actualStart),
    actualEnd: localOrEmpty(c.actualEnd),
    closeCode: c.closeCode ?? '',
    closeNotes: c.closeNotes,
  };
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** PATCH semantics: only the fields whose value differs from what the form was loaded with. */
export function changePatch(initial: Values, v: Values): ChangePatchBody {
  const p: ChangePatchBody = {};
  if (v.title.trim() !== initial.title) p.title = v.title.trim();
  for (const k of ['description', 'justification', 'implementationPlan', 'backoutPlan', 'testPlan', 'closeNotes', 'onHoldReason'] as const) {
    if (v[k] !== initial[k]) p[k] = v[k];
  }
  if (v.emergencyReason.trim() !== initial.emergencyReason) p.emergencyReason = v.emergencyReason.trim();
  if (v.impact !== initial.impact) p.impact = v.impact || null;
  if (v.securityLevel !== initial.securityLevel || (v.securityLevel && v.securityNotes !== initial.securityNotes)) {
    p.securityImpact = v.securityLevel ? { level: v.securityLevel, notes: v.securityNotes } : null;
  }
  if (!sameSet(v.services, initial.services)) p.services = v.services;
  if (!sameSet(v.environments, initial.environments)) p.environments = v.environments;
  if (v.assignmentTeam !== initial.assignmentTeam) p.assignmentTeam = v.assignmentTeam || null;
  for (const k of ['plannedStart', 'plannedEnd', 'actualStart', 'actualEnd'] as const) {
    if (v[k] !== initial[k]) p[k] = localInputToIso(v[k]) ?? null;
  }
  if (v.closeCode !== initial.closeCode) p.closeCode = v.closeCode || null;
  if (v.onHold !== initial.onHold) p.onHold = v.onHold;
  return p;
}

export function EditChangeModal({ change, opened, onClose }: { change: Change; opened: boolean; onClose: () => void }) {
  const session = useOpenCount(opened);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      size="xl"
      title={
        <Text fw={600}>
          Edit <span className="sg-mono">{change.number}</span>
        </Text>
      }
    >
      <EditChangeForm key={session} change={change} onDone={onClose} />
    </Modal>
  );
}

function EditChangeForm({ change, onDone }: { change: Change; onDone: () => void }) {
  const queryClient = useQueryClient();
  const teams = useTeams();
  const services = useQuery({ queryKey: queryKeys.services.options, queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal), staleTime: 30_000 });
  const environments = useQuery({
    queryKey: queryKeys.environments.options,
    queryFn: ({ signal }) => environmentsApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
  });
  // the version the form was loaded from: what If-Match sends, even when the page updates meanwhile
  const [base, setBase] = useState<Change>(change);
  const state = base.state.name;
  const started = state === 'implement' || state === 'review';
  const approving = (state === 'authorize' || state === 'scheduled') && base.type !== 'standard';
  const approvals = useQuery({
    queryKey: changeKeys.approvals(base.number),
    queryFn: ({ signal }) => changesApi.approvals(base.number, signal),
    enabled: approving,
  });

  const initialValues = useMemo(() => valuesOf(base), [base]);
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues,
    validate: {
      title: (v) => (v.trim() ? null : 'Title is required'),
      plannedEnd: (v, values) => (v && values.plannedStart && v <= values.plannedStart ? 'The end must be after the start' : null),
      actualEnd: (v, values) => (v && values.actualStart && v < values.actualStart ? 'The end must not be before the start' : null),
      emergencyReason: (v) => (base.type === 'emergency' && !v.trim() ? 'An emergency change needs its reason' : null),
    },
  });
  const v = form.values;
  const errors = useFormSubmitErrors(form.setErrors, FIELDS, ALIASES);
  const { submitError, unplaced } = errors;

  const patch = changePatch(initialValues, v);
  const changedCount = Object.keys(patch).length;
  const material = MATERIAL.filter((k) => k in patch);
  const rescoped = ['plannedStart', 'plannedEnd', 'services', 'environments'].some((k) => k in patch);
  const approvalsSoFar = (approvals.data?.decisions ?? []).filter((d) => d.round === approvals.data?.round && d.decision === 'approved').length;
  const restartsApprovals = approving && material.length > 0;

  const save = useMutation({
    mutationFn: (body: ChangePatchBody) => api.patch<Change>(`/changes/${encodeURIComponent(base.number)}`, body, { ifMatch: base.version }),
    onMutate: errors.clear,
    onSuccess: (updated) => {
      queryClient.setQueryData(changeKeys.detail(base.number), updated);
      void queryClient.invalidateQueries({ queryKey: changeKeys.approvals(base.number) });
      void queryClient.invalidateQueries({ queryKey: changeKeys.nextStates(base.number) });
      void queryClient.invalidateQueries({ queryKey: changeKeys.history(base.number) });
      void queryClient.invalidateQueries({ queryKey: ['changes', 'list'] });
      void queryClient.invalidateQueries({ queryKey: changeKeys.inbox });
      const newRound = updated.approvalRound > base.approvalRound;
      notifications.show({
        color: 'green',
        title: `${updated.number} saved`,
        message: newRound
          ? `Approvals start again: round ${updated.approvalRound}${updated.state.name !== base.state.name ? `, back in ${CHANGE_STATE_LABELS[updated.state.name]}` : ''}.`
          : updated.title,
      });
      onDone();
    },
    onError: errors.fail,
  });

  const reload = useMutation({
    mutationFn: () => changesApi.get(base.number),
    onSuccess: (fresh) => {
      queryClient.setQueryData(changeKeys.detail(base.number), fresh);
      void queryClient.invalidateQueries({ queryKey: changeKeys.approvals(base.number) });
      const values = valuesOf(fresh);
      setBase(fresh);
      form.setInitialValues(values);
      form.setValues(values);
      form.clearErrors();
      errors.clear();
    },
    onError: (error) => errors.setSubmitError(error),
  });
  const stale = isApiError(submitError, 412);
  const problemRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (submitError) problemRef.current?.scrollIntoView({ block: 'nearest' });
  }, [submitError]);

  const fixed = started ? `Fixed once the change is in ${CHANGE_STATE_LABELS[state]}.` : undefined;
  const withReason = (description?: string) => fixed ?? description;

  // keep the current scope selectable even before (or without) the option lists
  const serviceOptions = useMemo(() => {
    const items = new Map(base.services.map((s) => [s.key, `${s.name} (${s.key})`]));
    for (const s of services.data?.items ?? []) items.set(s.key, `${s.name} (${s.key})`);
    return [...items].map(([value, label]) => ({ value, label }));
  }, [base.services, services.data]);
  const environmentOptions = useMemo(() => {
    const items = new Map(base.environments.map((e) => [e.id, `${e.name} (${e.key})`]));
    for (const e of environments.data?.items ?? []) items.set(e.id, `${e.name} (${e.key})`);
    return [...items].map(([value, label]) => ({ value, label }));
  }, [base.environments, environments.data]);
  const teamOptions = useMemo(() => {
    const items = new Map<string, string>(base.assignmentTeam ? [[base.assignmentTeam.key, `${base.assignmentTeam.name} (${base.assignmentTeam.key})`]] : []);
    for (const t of teams.data?.items ?? []) items.set(t.key, `${t.name} (${t.key})`);
    return [{ value: '', label: 'No team' }, ...[...items].map(([value, label]) => ({ value, label }))];
  }, [base.assignmentTeam, teams.data]);
  const hasProduction = (environments.data?.items ?? base.environments).some((e) => v.environments.includes(e.id) && e.tier === 'production');

  return (
    <form onSubmit={form.onSubmit(() => save.mutate(patch))} noValidate>
      <Stack gap="sm">
        {started ? (
          <Alert color="gray" variant="light" icon={<IconInfoCircle size={16} />} p="xs" data-testid="edit-fixed-note">
            <Text size="sm">
              In {CHANGE_STATE_LABELS[state]}: the planned window, scope and plans are fixed; record the actual times and how it went.
            </Text>
          </Alert>
        ) : null}
        <TextInput label="Title" required maxLength={200} data-autofocus {...form.getInputProps('title')} />
        {base.type === 'emergency' ? (
          <Textarea label="Emergency reason" required autosize minRows={2} maxRows={4} maxLength={4000} {...form.getInputProps('emergencyReason')} />
        ) : null}
        <Group grow align="flex-start">
          <Textarea label="Description" description="What changes." autosize minRows={2} maxRows={5} {...form.getInputProps('description')} />
          <Textarea label="Justification" description="Why." autosize minRows={2} maxRows={5} {...form.getInputProps('justification')} />
        </Group>
        <Group grow align="flex-start">
          <NativeSelect
            label="Impact"
            data={[
              { value: '', label: 'Not set' },
              { value: 'low', label: 'Low' },
              { value: 'medium', label: 'Medium' },
              { value: 'high', label: 'High' },
            ]}
            {...form.getInputProps('impact')}
          />
          <NativeSelect label="Assignment team" data={teamOptions} {...form.getInputProps('assignmentTeam')} />
        </Group>
        <Group grow align="flex-start">
          <SecurityImpactSelect hasProduction={hasProduction} {...form.getInputProps('securityLevel')} />
          <Textarea
            label="Security notes"
            description={v.securityLevel ? 'What the security impact is, and how it is handled.' : 'Choose a security impact first.'}
            disabled={!v.securityLevel}
            autosize
            minRows={1}
            maxRows={4}
            {...form.getInputProps('securityNotes')}
          />
        </Group>
        <Group grow align="flex-start">
          <MultiSelect
            label="Services"
            description={withReason()}
            disabled={started}
            placeholder={v.services.length ? undefined : 'Search services'}
            data={serviceOptions}
            searchable
            clearable={!started}
            hidePickedOptions
            comboboxProps={{ keepMounted: false }}
            {...form.getInputProps('services')}
          />
          <MultiSelect
            label="Environments"
            description={withReason()}
            disabled={started}
            placeholder={v.environments.length ? undefined : 'Search environments'}
            data={environmentOptions}
            searchable
            clearable={!started}
            hidePickedOptions
            comboboxProps={{ keepMounted: false }}
            {...form.getInputProps('environments')}
          />
        </Group>
        <Group grow align="flex-start">
          <TextInput type="datetime-local" label="Planned start" description={withReason('In your time zone.')} disabled={started} {...form.getInputProps('plannedStart')} />
          <TextInput type="datetime-local" label="Planned end" description={withReason('In your time zone.')} disabled={started} {...form.getInputProps('plannedEnd')} />
        </Group>
        <Textarea label="Implementation plan" description={withReason()} disabled={started} autosize minRows={2} maxRows={6} {...form.getInputProps('implementationPlan')} />
        <Group grow align="flex-start">
          <Textarea label="Backout plan" description={withReason()} disabled={started} autosize minRows={2} maxRows={6} {...form.getInputProps('backoutPlan')} />
          <Textarea label="Test plan" description={withReason()} disabled={started} autosize minRows={2} maxRows={6} {...form.getInputProps('testPlan')} />
        </Group>
        {started ? (
          <>
            <ZoneNote />
            <Group grow align="flex-start">
              <TextInput type="datetime-local" label="Actual start" {...form.getInputProps('actualStart')} />
              <TextInput type="datetime-local" label="Actual end" {...form.getInputProps('actualEnd')} />
            </Group>
            <Group grow align="flex-start">
              <NativeSelect
                label="Close code"
                data={[
                  { value: '', label: 'Not yet' },
                  ...(Object.keys(CLOSE_CODE_LABELS) as CloseCode[]).map((k) => ({ value: k, label: CLOSE_CODE_LABELS[k] })),
                ]}
                {...form.getInputProps('closeCode')}
              />
              <Textarea label="Close notes" autosize minRows={1} maxRows={5} {...form.getInputProps('closeNotes')} />
            </Group>
          </>
        ) : (
          <Text size="xs" c="dimmed">
            Actual start and end, close code and close notes can be recorded from Implement on.
          </Text>
        )}
        <Group grow align="flex-start">
          <Switch
            label="On hold"
            description="Paused: nobody should work on it for now."
            mt={4}
            {...form.getInputProps('onHold', { type: 'checkbox' })}
          />
          <TextInput
            label="On-hold reason"
            description={v.onHold ? undefined : 'Put the change on hold first.'}
            disabled={!v.onHold}
            maxLength={2000}
            {...form.getInputProps('onHoldReason')}
          />
        </Group>
        {restartsApprovals ? (
          <Alert color="orange" variant="light" icon={<IconAlertTriangle size={16} />} title="Saving starts a new approval round" data-testid="material-edit-warning">
            <Text size="sm">
              You changed the {material.map((k) => MATERIAL_LABELS[k]).join(', ')}.{' '}
              {approvals.isPending
                ? 'The approvals given so far no longer count'
                : approvalsSoFar === 0
                  ? 'Round ' + (base.approvalRound + 1) + ' starts; no approval was given in this round yet'
                  : approvalsSoFar === 1
                    ? 'The 1 approval given so far no longer counts'
                    : `The ${approvalsSoFar} approvals given so far no longer count`}
              {state === 'scheduled' ? ', and the change goes back to Authorize.' : '.'}
            </Text>
          </Alert>
        ) : null}
        {rescoped && !restartsApprovals ? (
          <Text size="xs" c="dimmed" data-testid="reassess-note">
            The window or scope changed: conflicts and risk are checked again when you save.
          </Text>
        ) : null}
        {/* next to the Save button, where the user is when saving fails */}
        <div ref={problemRef}>
          {stale ? (
            <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />} title={`${base.number} was modified meanwhile`} role="alert">
              <Text size="sm">
                Someone saved it after you opened this form. Reload the latest version, then make your edits again (the ones here will be replaced).
              </Text>
              <Button mt="xs" size="xs" variant="default" leftSection={<IconRefresh size={14} aria-hidden />} onClick={() => reload.mutate()} loading={reload.isPending}>
                Reload latest version
              </Button>
            </Alert>
          ) : (
            <FormProblem error={submitError} unplaced={unplaced} title="The change was not saved" />
          )}
        </div>
        <Group justify="space-between" align="center">
          <Text size="xs" c="dimmed" aria-live="polite">
            {changedCount === 0 ? 'Nothing changed yet.' : `${changedCount} field${changedCount === 1 ? '' : 's'} changed.`}
          </Text>
          <FormActions
            onCancel={onDone}
            submitLabel={restartsApprovals ? 'Save and restart approvals' : 'Save'}
            submitting={save.isPending}
            submitDisabled={changedCount === 0 || stale}
          />
        </Group>
      </Stack>
    </form>
  );
}
