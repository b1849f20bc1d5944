import { useState } from 'react';
import { Alert, Anchor, Button, Code, Group, List, SegmentedControl, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ApiError, API_BASE } from '../../api/client';
import { FormProblem } from '../../components/FormProblem';
import { hasPermission, useCurrentUser } from '../auth/session';
import { permissionHint } from '../../components/PermissionButton';
import { policiesApi, policyKeys, type PolicyFormat, type PolicyValidation } from './api';
import type { EditorSeed } from './ProfilePage';

/** The source in the other format, or null when it does not parse (then the text is kept as it is). */
function convert(source: string, from: PolicyFormat, to: PolicyFormat): string | null {
  try {
    const doc: unknown = from === 'json' ? JSON.parse(source) : parseYaml(source);
    return to === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : toYaml(doc);
  } catch {
    return null;
  }
}

export function PolicyEditor({ profileKey, seed, onSaved }: { profileKey: string; seed: EditorSeed; onSaved: () => void }) {
  const queryClient = useQueryClient();
  const canWrite = hasPermission(useCurrentUser(), 'policy:write');
  const [format, setFormat] = useState<PolicyFormat>(seed.format);
  const [source, setSource] = useState(seed.source);
  // a result belongs to the text it was computed for: editing clears it
  const [result, setResult] = useState<PolicyValidation | null>(null);

  const validate = useMutation({ mutationFn: () => policiesApi.validate({ format, source }), onSuccess: setResult });
  const save = useMutation({
    mutationFn: (activate: boolean) => policiesApi.addVersion(profileKey, { format, source, activate }),
    onSuccess: (v) => {
      void queryClient.invalidateQueries({ queryKey: policyKeys.all });
      notifications.show({
        color: 'green',
        title: v.status === 'active' ? `Version ${v.version} saved and active` : `Version ${v.version} saved as a draft`,
        message: v.status === 'active' ? 'New changes on this profile’s services are decided by it.' : 'Backtest it, then activate it from the versions list.',
      });
      onSaved();
    },
  });

  const edit = (next: string) => {
    setSource(next);
    setResult(null);
    save.reset();
  };
  const switchFormat = (value: string) => {
    const to = value as PolicyFormat;
    const converted = convert(source, format, to);
    setFormat(to);
    if (converted !== null) edit(converted);
    else setResult(null);
  };

  const saveErrors = save.error instanceof ApiError ? save.error.fieldErrors : [];
  const disabledHint = canWrite ? undefined : permissionHint('policy:write');

  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        {seed.from === null ? 'Write the policy of this profile.' : `Starting from version ${seed.from}. `}
        Saving creates a new version and never changes an existing one. Rules are checked in order; the first rule that
        fires decides each part of the outcome and <Code>defaults</Code> decides the rest. The document must follow the{' '}
        <Anchor href={`${API_BASE}/policies/schema`} target="_blank" size="sm" underline="always">
          policy JSON Schema
        </Anchor>
        .
      </Text>
      <Group justify="space-between">
        <SegmentedControl
          aria-label="Format"
          value={format}
          onChange={switchFormat}
          data={[
            { value: 'yaml', label: 'YAML' },
            { value: 'json', label: 'JSON' },
          ]}
        />
        <Text size="xs" c="dimmed">
          Switching the format converts the document when it parses; YAML comments are not carried over.
        </Text>
      </Group>
      <Textarea
        label="Policy source"
        value={source}
        onChange={(e) => edit(e.currentTarget.value)}
        autosize
        minRows={14}
        maxRows={36}
        spellCheck={false}
        autoComplete="off"
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 'var(--mantine-font-size-xs)' } }}
        data-testid="policy-source"
      />
      <ValidationResult result={result} error={validate.error} />
      <FormProblem error={save.error} unplaced={saveErrors} title="Could not save the policy" />
      <Group gap="xs">
        <Button variant="default" onClick={() => validate.mutate()} loading={validate.isPending}>
          Validate
        </Button>
        <Button variant="default" onClick={() => save.mutate(false)} loading={save.isPending && !save.variables} disabled={!canWrite || save.isPending} title={disabledHint}>
          Save as draft
        </Button>
        <Button onClick={() => save.mutate(true)} loading={save.isPending && save.variables} disabled={!canWrite || save.isPending} title={disabledHint}>
          Save and activate
        </Button>
        {!canWrite ? (
          <Text size="xs" c="dimmed">
            {disabledHint}
          </Text>
        ) : null}
      </Group>
    </Stack>
  );
}

function ValidationResult({ result, error }: { result: PolicyValidation | null; error: unknown }) {
  if (error) return <FormProblem error={error} title="Could not validate" />;
  if (!result) return null;
  if (result.valid) {
    const rules = Array.isArray(result.document?.rules) ? result.document.rules.length : 0;
    return (
      <Alert color="green" variant="light" icon={<IconCircleCheck size={16} />} title="Valid" role="status" data-testid="validation-result">
        <Text size="sm">
          The policy is valid: {rules} {rules === 1 ? 'rule' : 'rules'}, and every approver group it names exists.
        </Text>
      </Alert>
    );
  }
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />} title={`Not valid: ${result.errors.length} ${result.errors.length === 1 ? 'problem' : 'problems'}`} role="alert" data-testid="validation-result">
      <List size="sm" spacing={2}>
        {result.errors.map((e, i) => (
          <List.Item key={`${e.path}-${i}`} data-testid="validation-error">
            <Code>{e.path}</Code> {e.message}
          </List.Item>
        ))}
      </List>
      <Text size="xs" c="dimmed" mt={6}>
        Paths are JSON pointers into the document: <Code>/rules/0/then</Code> is the <Code>then</Code> of the first rule.
      </Text>
    </Alert>
  );
}
