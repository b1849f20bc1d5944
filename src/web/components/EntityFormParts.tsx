import { useEffect, useState, type ReactNode } from 'react';
import { Button, Group, Modal, Text, Textarea, TextInput } from '@mantine/core';
import type { GetInputPropsReturnType } from '@mantine/form';
import type { ProblemFieldError } from '../api/client';
import { FormProblem } from './FormProblem';
import { mapFieldErrors } from './formErrors';
import { useOpenCount } from './useOpenCount';

/**
 * Create/edit dialog for a catalog entity. Titled "New {noun}" or "Edit {noun} <key>"; `renderForm` gets a
 * React key that changes per opening, so each opening starts with a fresh form (content stays while closing).
 */
export function EntityFormModal({
  opened,
  onClose,
  noun,
  editingKey,
  renderForm,
}: {
  opened: boolean;
  onClose: () => void;
  /** e.g. "service" */
  noun: string;
  /** Key of the entity being edited; null when creating. */
  editingKey: string | null;
  renderForm: (formKey: string) => ReactNode;
}) {
  const session = useOpenCount(opened);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      size="lg"
      title={
        <Text fw={600}>
          {editingKey !== null ? (
            <>
              Edit {noun} <span className="sg-mono">{editingKey}</span>
            </>
          ) : (
            `New ${noun}`
          )}
        </Text>
      }
    >
      {renderForm(String(session))}
    </Modal>
  );
}

/**
 * Form-level submit error state: the error, plus field errors that could not be placed on a field.
 * `fail` maps a failed submit's field errors onto the form (via `setFieldErrors`).
 */
export function useFormSubmitErrors(
  setFieldErrors: (errors: Record<string, string>) => void,
  fields: readonly string[],
  aliases?: Record<string, string>,
) {
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [unplaced, setUnplaced] = useState<ProblemFieldError[]>([]);
  return {
    submitError,
    unplaced,
    setSubmitError,
    /** Forget the previous error (before a new submit, or after a reload). */
    clear: () => {
      setSubmitError(null);
      setUnplaced([]);
    },
    fail: (error: unknown) => {
      const { fieldErrors, unplaced: rest } = mapFieldErrors(error, fields, aliases);
      setFieldErrors(fieldErrors);
      setUnplaced(rest);
      setSubmitError(error);
    },
  };
}

/** Shown when saving failed because someone else changed the record (412): offers to reload it. */
export function StaleVersionProblem({
  error,
  title,
  onReload,
  reloading,
}: {
  error: unknown;
  title: string;
  onReload: () => void;
  reloading: boolean;
}) {
  return (
    <FormProblem error={error} title={title}>
      <Text size="sm" mt={4}>
        It was edited after you opened it. Reload to get the latest version, then make your change again (your
        unsaved edits will be replaced).
      </Text>
      <Button mt="xs" variant="default" onClick={onReload} loading={reloading}>
        Reload latest version
      </Button>
    </FormProblem>
  );
}

/** Cancel + submit buttons at the foot of a dialog form. */
export function FormActions({
  onCancel,
  submitLabel,
  submitting,
  submitDisabled,
}: {
  onCancel: () => void;
  submitLabel: ReactNode;
  submitting: boolean;
  submitDisabled?: boolean;
}) {
  return (
    <Group justify="flex-end" gap="xs" mt="xs">
      <Button variant="default" onClick={onCancel} disabled={submitting}>
        Cancel
      </Button>
      <Button type="submit" loading={submitting} disabled={submitDisabled}>
        {submitLabel}
      </Button>
    </Group>
  );
}

/** Keys of catalog entities and releases: 2–63 characters, lowercase letter first, then lowercase letters, digits, dashes. */
export const ENTITY_KEY_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;
export const ENTITY_KEY_HINT = 'Use 2–63 characters: a lowercase letter first, then lowercase letters, digits or dashes';

/** Validators for the key / name / description fields of a create/edit form (the key is fixed once created). */
export function keyNameDescriptionValidators(isEdit: boolean) {
  return {
    key: (value: string) => (isEdit || ENTITY_KEY_PATTERN.test(value.trim()) ? null : ENTITY_KEY_HINT),
    name: (value: string) =>
      !value.trim() ? 'Name is required' : value.trim().length > 200 ? 'At most 200 characters' : null,
    description: (value: string) => (value.length > 4000 ? 'At most 4000 characters' : null),
  };
}

/**
 * Key + name side by side, then description. The key is editable only when creating; the first editable
 * field gets focus when the dialog opens.
 */
export function KeyNameDescriptionFields({
  isEdit,
  keyProps,
  nameProps,
  descriptionProps,
  keyPlaceholder,
  namePlaceholder,
  nameDescription,
  descriptionPlaceholder,
}: {
  isEdit: boolean;
  keyProps: GetInputPropsReturnType;
  nameProps: GetInputPropsReturnType;
  descriptionProps: GetInputPropsReturnType;
  keyPlaceholder: string;
  namePlaceholder: string;
  nameDescription?: string;
  descriptionPlaceholder?: string;
}) {
  return (
    <>
      <Group grow align="flex-start">
        <TextInput
          label="Key"
          description={isEdit ? 'The key cannot be changed.' : 'Lowercase letters, digits, dashes.'}
          placeholder={keyPlaceholder}
          required={!isEdit}
          disabled={isEdit}
          autoComplete="off"
          spellCheck={false}
          data-autofocus={!isEdit || undefined}
          classNames={{ input: 'sg-mono' }}
          {...keyProps}
        />
        <TextInput
          label="Name"
          description={nameDescription}
          placeholder={namePlaceholder}
          required
          maxLength={200}
          data-autofocus={isEdit || undefined}
          {...nameProps}
        />
      </Group>
      <Textarea
        label="Description"
        placeholder={descriptionPlaceholder}
        autosize
        minRows={2}
        maxRows={6}
        maxLength={4000}
        {...descriptionProps}
      />
    </>
  );
}

/** Load new initial values into a form when they change (e.g. after reloading the latest version). */
export function useResetFormOnNewValues<V>(
  form: { setInitialValues: (values: V) => void; setValues: (values: V) => void },
  initialValues: V,
) {
  useEffect(() => {
    form.setInitialValues(initialValues);
    form.setValues(initialValues);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initialValues]);
}
