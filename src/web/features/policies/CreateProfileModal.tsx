import { Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import {
  EntityFormModal,
  FormActions,
  KeyNameDescriptionFields,
  keyNameDescriptionValidators,
  useFormSubmitErrors,
} from '../../components/EntityFormParts';
import { FormProblem } from '../../components/FormProblem';
import { policiesApi, policyKeys } from './api';

const FIELDS = ['key', 'name', 'description'] as const;

export function CreateProfileModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  return (
    <EntityFormModal
      opened={opened}
      onClose={onClose}
      noun="governance profile"
      editingKey={null}
      renderForm={(formKey) => <CreateProfileForm key={formKey} onCancel={onClose} />}
    />
  );
}

function CreateProfileForm({ onCancel }: { onCancel: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const form = useForm({
    mode: 'controlled',
    initialValues: { key: '', name: '', description: '' },
    validate: keyNameDescriptionValidators(false),
  });
  const errors = useFormSubmitErrors(form.setErrors, FIELDS);
  const create = useMutation({
    mutationFn: (v: typeof form.values) =>
      policiesApi.createProfile({ key: v.key.trim(), name: v.name.trim(), description: v.description.trim() || undefined }),
    onMutate: errors.clear,
    onError: errors.fail,
    onSuccess: (profile) => {
      void queryClient.invalidateQueries({ queryKey: policyKeys.all });
      notifications.show({ color: 'green', title: 'Governance profile created', message: `${profile.name}: now write its first policy.` });
      onCancel();
      void navigate({ to: '/policies/$key', params: { key: profile.key } });
    },
  });

  return (
    <form onSubmit={form.onSubmit((values) => create.mutate(values))} noValidate>
      <Stack gap="sm">
        <FormProblem error={errors.submitError} unplaced={errors.unplaced} title="Could not create the profile" />
        <Text size="sm" c="dimmed">
          The profile starts without a policy: write and activate one next, then give services this profile in the catalog.
        </Text>
        <KeyNameDescriptionFields
          isEdit={false}
          keyProps={form.getInputProps('key')}
          nameProps={form.getInputProps('name')}
          descriptionProps={form.getInputProps('description')}
          keyPlaceholder="payments-strict"
          namePlaceholder="Payments (strict)"
          descriptionPlaceholder="Which services this is for and why"
        />
        <FormActions onCancel={onCancel} submitLabel="Create profile" submitting={create.isPending} />
      </Stack>
    </form>
  );
}
