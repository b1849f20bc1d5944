import { useMemo, useState, type ReactNode } from 'react';
import {
  ActionIcon,
  Button,
  Fieldset,
  Group,
  Modal,
  MultiSelect,
  NativeSelect,
  NumberInput,
  Stack,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useForm, type UseFormReturnType } from '@mantine/form';
import { useQuery } from '@tanstack/react-query';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { environmentsApi, releaseTemplatesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { ReleaseTemplate } from '../../api/types';
import { FormProblem } from '../../components/FormProblem';
import {
  ENTITY_KEY_HINT,
  ENTITY_KEY_PATTERN,
  FormActions,
  KeyNameDescriptionFields,
  keyNameDescriptionValidators,
  StaleVersionProblem,
  useFormSubmitErrors,
  useResetFormOnNewValues,
} from '../../components/EntityFormParts';
import { useEntityFormSave } from '../../components/useEntityFormSave';
import { useOpenCount } from '../../components/useOpenCount';
import { useTeams } from '../teams/useTeams';
import {
  CRITERION_KINDS,
  CRITERION_LABELS,
  emptyGate,
  emptyPhase,
  emptyRunbookItem,
  mapTemplateErrors,
  toCreate,
  toPatch,
  toValues,
  type TemplateFormValues,
} from './templateForm';

type Form = UseFormReturnType<TemplateFormValues>;
type Section = 'phases' | 'gates' | 'runbook';

const keyRule = (v: string) => (ENTITY_KEY_PATTERN.test(v.trim()) ? null : ENTITY_KEY_HINT);
const nameRule = (v: string) => (v.trim() ? null : 'Name is required');

export function TemplateFormModal({
  opened,
  onClose,
  template,
}: {
  opened: boolean;
  onClose: () => void;
  /** null = create */
  template: ReleaseTemplate | null;
}) {
  const session = useOpenCount(opened);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      size={1040}
      title={
        <Text fw={600}>
          {template ? (
            <>
              Edit release template <span className="sg-mono">{template.key}</span>
            </>
          ) : (
            'New release template'
          )}
        </Text>
      }
    >
      <TemplateForm key={`${template?.id ?? 'new'}-${session}`} template={template} onDone={onClose} />
    </Modal>
  );
}

function TemplateForm({ template: initialTemplate, onDone }: { template: ReleaseTemplate | null; onDone: () => void }) {
  const [template, setTemplate] = useState<ReleaseTemplate | null>(initialTemplate);
  const isEdit = template !== null;
  const initialValues = useMemo(() => toValues(template), [template]);

  const teams = useTeams();
  const environments = useQuery({
    queryKey: queryKeys.environments.options,
    queryFn: ({ signal }) => environmentsApi.list({ limit: 200 }, signal),
    staleTime: 5 * 60_000,
  });

  const form = useForm<TemplateFormValues>({
    mode: 'controlled',
    initialValues,
    validate: {
      ...keyNameDescriptionValidators(isEdit),
      phases: {
        key: keyRule,
        name: nameRule,
        defaultDurationDays: (v) => {
          const n = Number(v);
          return v !== '' && Number.isInteger(n) && n >= 1 && n <= 365 ? null : 'Whole days, 1–365';
        },
      },
      gates: {
        key: keyRule,
        name: nameRule,
        afterPhase: (v, values) => (v === '' || values.phases.some((p) => p.uid === v) ? null : 'That phase was removed: choose another'),
        quorum: (v, values, path) => {
          const i = Number(path.split('.')[1]);
          if (!values.gates[i]?.approverTeam) return null;
          const n = Number(v);
          return Number.isInteger(n) && n >= 1 && n <= 50 ? null : 'Between 1 and 50';
        },
        customMin: (v) => (v === '' || Number.isFinite(Number(v)) ? null : 'Enter a number'),
      },
      runbook: { title: nameRule },
    },
  });

  // Problem state from the shared hook; field errors are placed here, per row (`definition.phases.1.key` → `phases.1.key`).
  const base = useFormSubmitErrors(() => undefined, []);
  const [unplaced, setUnplaced] = useState<typeof base.unplaced>([]);
  const errors = {
    ...base,
    clear: () => {
      base.clear();
      setUnplaced([]);
    },
    fail: (error: unknown) => {
      base.fail(error);
      const mapped = mapTemplateErrors(error, form.getValues());
      form.setErrors(mapped.fieldErrors);
      setUnplaced(mapped.unplaced);
    },
  };
  const { submitError } = base;

  useResetFormOnNewValues(form, initialValues);

  const { save, reload, stale } = useEntityFormSave({
    entity: template,
    initialValues,
    api: releaseTemplatesApi,
    toCreate,
    toPatch,
    noun: 'Release template',
    invalidateKey: queryKeys.releaseTemplates.all,
    errors,
    onReloaded: (fresh) => {
      setTemplate(fresh);
      form.clearErrors();
      setUnplaced([]);
    },
    onDone,
  });

  const envOptions = useMemo(() => {
    const map = new Map<string, string>();
    for (const e of environments.data?.items ?? []) map.set(e.key, `${e.name} (${e.key})`);
    // keep keys the template already uses selectable, even if not in the loaded list
    for (const p of form.values.phases) for (const k of p.environments) if (!map.has(k)) map.set(k, k);
    return [...map].map(([value, label]) => ({ value, label }));
  }, [environments.data, form.values.phases]);

  const teamOptions = useMemo(() => {
    const opts = [{ value: '', label: 'No sign-off' }, ...(teams.data?.items ?? []).map((t) => ({ value: t.key, label: `${t.name} (${t.key})` }))];
    for (const g of form.values.gates) {
      if (g.approverTeam && !opts.some((o) => o.value === g.approverTeam)) opts.push({ value: g.approverTeam, label: g.approverTeam });
    }
    return opts;
  }, [teams.data, form.values.gates]);

  // Field errors are by row index: forget them when rows move.
  const structural = (change: () => void) => {
    change();
    form.clearErrors();
    setUnplaced([]);
  };

  return (
    <form
      onSubmit={form.onSubmit((values) => save.mutate(values))}
      noValidate
      aria-label={isEdit ? `Edit release template ${template.key}` : 'New release template'}
    >
      <Stack gap="md">
        {stale ? (
          <StaleVersionProblem
            error={submitError}
            title="Someone else changed this template"
            onReload={() => reload.mutate()}
            reloading={reload.isPending}
          />
        ) : (
          <FormProblem error={submitError} unplaced={unplaced} title="Could not save the template" />
        )}
        <KeyNameDescriptionFields
          isEdit={isEdit}
          keyProps={form.getInputProps('key')}
          nameProps={form.getInputProps('name')}
          descriptionProps={form.getInputProps('description')}
          keyPlaceholder="storefront-standard"
          namePlaceholder="Storefront standard release"
          descriptionPlaceholder="When to use this template"
        />
        {isEdit ? (
          <Text size="sm" c="dimmed" data-testid="template-version-hint">
            Template version {template.templateVersion}. Saving a changed definition makes version{' '}
            {template.templateVersion + 1}; releases already made from this template keep their own copy.
          </Text>
        ) : null}

        <SectionHeader
          title="Phases"
          hint="In order. A release made from the template lays them out one after another from its planned start."
          addLabel="Add phase"
          onAdd={() => structural(() => form.insertListItem('phases', emptyPhase()))}
        />
        {form.errors.phases ? (
          <Text size="sm" c="red">
            {form.errors.phases}
          </Text>
        ) : null}
        <Stack gap="xs" data-testid="template-phases">
          {form.values.phases.map((phase, i) => (
            <Fieldset
              key={phase.uid}
              legend={`Phase ${i + 1}`}
              variant="filled"
              p="xs"
              data-testid={`phase-${i}`}
            >
              <Group align="flex-start" gap="xs" wrap="nowrap">
                <TextInput
                  label="Key"
                  required
                  w={150}
                  placeholder="build"
                  autoComplete="off"
                  spellCheck={false}
                  classNames={{ input: 'sg-mono' }}
                  {...form.getInputProps(`phases.${i}.key`)}
                />
                <TextInput label="Name" required w={190} placeholder="Build" maxLength={200} {...form.getInputProps(`phases.${i}.name`)} />
                <MultiSelect
                  label="Environments"
                  style={{ flex: 1 }}
                  placeholder={phase.environments.length ? undefined : environments.isError ? 'Could not load' : 'None'}
                  data={envOptions}
                  searchable
                  clearable
                  hidePickedOptions
                  nothingFoundMessage={environments.isLoading ? 'Loading…' : 'No environments'}
                  comboboxProps={{ keepMounted: false }}
                  {...form.getInputProps(`phases.${i}.environments`)}
                />
                <NumberInput
                  label="Days"
                  description={undefined}
                  required
                  w={90}
                  min={1}
                  max={365}
                  allowDecimal={false}
                  allowNegative={false}
                  {...form.getInputProps(`phases.${i}.defaultDurationDays`)}
                />
                <RowButtons
                  section="phases"
                  noun={`phase ${i + 1}`}
                  index={i}
                  count={form.values.phases.length}
                  form={form}
                  structural={structural}
                  minRows={1}
                />
              </Group>
            </Fieldset>
          ))}
        </Stack>

        <SectionHeader
          title="Gates"
          hint="Checkpoints between phases: what must hold, and who signs off."
          addLabel="Add gate"
          onAdd={() => structural(() => form.insertListItem('gates', emptyGate()))}
        />
        {form.values.gates.length === 0 ? (
          <Text size="sm" c="dimmed">
            No gates.
          </Text>
        ) : null}
        <Stack gap="xs" data-testid="template-gates">
          {form.values.gates.map((gate, i) => (
            <Fieldset key={gate.uid} legend={`Gate ${i + 1}`} variant="filled" p="xs" data-testid={`gate-${i}`}>
              <Stack gap="xs">
                <Group align="flex-start" gap="xs" wrap="nowrap">
                  <TextInput
                    label="Key"
                    required
                    w={150}
                    placeholder="go-live"
                    autoComplete="off"
                    spellCheck={false}
                    classNames={{ input: 'sg-mono' }}
                    {...form.getInputProps(`gates.${i}.key`)}
                  />
                  <TextInput label="Name" required w={190} placeholder="Go-live" maxLength={200} {...form.getInputProps(`gates.${i}.name`)} />
                  <NativeSelect
                    label="After phase"
                    style={{ flex: 1 }}
                    data={[
                      { value: '', label: 'Before the first phase' },
                      ...form.values.phases.map((p, pi) => ({
                        value: p.uid,
                        label: `${pi + 1}. ${p.name.trim() || 'Unnamed'}${p.key.trim() ? ` (${p.key.trim()})` : ''}`,
                      })),
                      ...(gate.afterPhase && !form.values.phases.some((p) => p.uid === gate.afterPhase)
                        ? [{ value: gate.afterPhase, label: 'Removed phase', disabled: true }]
                        : []),
                    ]}
                    {...form.getInputProps(`gates.${i}.afterPhase`)}
                  />
                  <RowButtons section="gates" noun={`gate ${i + 1}`} index={i} count={form.values.gates.length} form={form} structural={structural} />
                </Group>
                <Group align="flex-start" gap="xs" wrap="nowrap">
                  <MultiSelect
                    label="Criteria"
                    style={{ flex: 1 }}
                    placeholder={gate.criteria.length ? undefined : 'None'}
                    data={CRITERION_KINDS.map((k) => ({ value: k, label: CRITERION_LABELS[k] }))}
                    searchable
                    clearable
                    hidePickedOptions
                    comboboxProps={{ keepMounted: false }}
                    {...form.getInputProps(`gates.${i}.criteria`)}
                  />
                  {gate.criteria.includes('custom_check') ? (
                    <NumberInput
                      label="Custom check min"
                      description="Passes at or above"
                      w={150}
                      {...form.getInputProps(`gates.${i}.customMin`)}
                    />
                  ) : null}
                  <NativeSelect
                    label="Approver team"
                    w={220}
                    description={teams.isError ? 'Could not load teams.' : undefined}
                    data={teamOptions}
                    {...form.getInputProps(`gates.${i}.approverTeam`)}
                  />
                  <NumberInput
                    label="Quorum"
                    w={90}
                    min={1}
                    max={50}
                    allowDecimal={false}
                    allowNegative={false}
                    disabled={!gate.approverTeam}
                    {...form.getInputProps(`gates.${i}.quorum`)}
                  />
                </Group>
              </Stack>
            </Fieldset>
          ))}
        </Stack>

        <SectionHeader
          title="Runbook"
          hint="Task placeholders copied into each release."
          addLabel="Add runbook task"
          onAdd={() => structural(() => form.insertListItem('runbook', emptyRunbookItem()))}
        />
        {form.values.runbook.length === 0 ? (
          <Text size="sm" c="dimmed">
            No runbook tasks.
          </Text>
        ) : null}
        <Stack gap="xs" data-testid="template-runbook">
          {form.values.runbook.map((item, i) => (
            <Fieldset key={item.uid} legend={`Runbook task ${i + 1}`} variant="filled" p="xs">
              <Group align="flex-start" gap="xs" wrap="nowrap">
                <TextInput label="Title" required style={{ flex: 2 }} placeholder="Freeze the release branch" maxLength={200} {...form.getInputProps(`runbook.${i}.title`)} />
                <TextInput label="Owner" style={{ flex: 1 }} placeholder="Release manager" maxLength={200} {...form.getInputProps(`runbook.${i}.owner`)} />
                <RowButtons section="runbook" noun={`runbook task ${i + 1}`} index={i} count={form.values.runbook.length} form={form} structural={structural} />
              </Group>
            </Fieldset>
          ))}
        </Stack>

        <FormActions
          onCancel={onDone}
          submitLabel={isEdit ? 'Save' : 'Create template'}
          submitting={save.isPending}
          submitDisabled={stale}
        />
      </Stack>
    </form>
  );
}

function SectionHeader({ title, hint, addLabel, onAdd }: { title: string; hint: ReactNode; addLabel: string; onAdd: () => void }) {
  return (
    <Group justify="space-between" align="flex-end" mt="xs" wrap="nowrap">
      <div>
        <Title order={2} fz="md">
          {title}
        </Title>
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      </div>
      <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} onClick={onAdd}>
        {addLabel}
      </Button>
    </Group>
  );
}

function RowButtons({
  section,
  noun,
  index,
  count,
  form,
  structural,
  minRows = 0,
}: {
  section: Section;
  noun: string;
  index: number;
  count: number;
  form: Form;
  structural: (change: () => void) => void;
  minRows?: number;
}) {
  const move = (to: number) => structural(() => form.reorderListItem(section, { from: index, to }));
  return (
    <Group gap={0} wrap="nowrap" mt={24}>
      <Tooltip label={`Move ${noun} up`}>
        <ActionIcon variant="subtle" color="gray" aria-label={`Move ${noun} up`} disabled={index === 0} onClick={() => move(index - 1)}>
          <IconArrowUp size={16} />
        </ActionIcon>
      </Tooltip>
      <Tooltip label={`Move ${noun} down`}>
        <ActionIcon
          variant="subtle"
          color="gray"
          aria-label={`Move ${noun} down`}
          disabled={index === count - 1}
          onClick={() => move(index + 1)}
        >
          <IconArrowDown size={16} />
        </ActionIcon>
      </Tooltip>
      <Tooltip label={count <= minRows ? 'A template needs at least one phase' : `Remove ${noun}`}>
        <ActionIcon
          variant="subtle"
          color="red"
          aria-label={`Remove ${noun}`}
          disabled={count <= minRows}
          onClick={() => structural(() => form.removeListItem(section, index))}
        >
          <IconTrash size={16} />
        </ActionIcon>
      </Tooltip>
    </Group>
  );
}
