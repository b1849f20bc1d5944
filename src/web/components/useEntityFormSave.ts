import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { isApiError } from '../api/client';
import type { useFormSubmitErrors } from './EntityFormParts';

interface VersionedEntity {
  id: string;
  key: string;
  name: string;
  version: number;
}

interface EntityApi<E, C, P> {
  create: (body: C) => Promise<E>;
  update: (id: string, version: number, patch: P) => Promise<E>;
  get: (id: string) => Promise<E>;
}

/**
 * Save for a create/edit form of a versioned entity: creates, or PATCHes only what changed (with the version
 * for optimistic locking). On a 412 (`stale`) the user can `reload` the latest version into the form.
 */
export function useEntityFormSave<E extends VersionedEntity, V, C, P extends object>({
  entity,
  initialValues,
  api,
  toCreate,
  toPatch,
  noun,
  invalidateKey,
  errors,
  onReloaded,
  onDone,
}: {
  /** null when creating */
  entity: E | null;
  initialValues: V;
  api: EntityApi<E, C, P>;
  toCreate: (values: V) => C;
  toPatch: (initial: V, values: V) => P;
  /** Capitalised, for notifications: "Service saved", "Service created". */
  noun: string;
  invalidateKey: QueryKey;
  errors: ReturnType<typeof useFormSubmitErrors>;
  /** Put the freshly loaded entity into the form (and clear its field errors). */
  onReloaded: (fresh: E) => void;
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const isEdit = entity !== null;

  const save = useMutation({
    mutationFn: async (values: V) => {
      if (!entity) return { saved: await api.create(toCreate(values)), changed: true };
      const patch = toPatch(initialValues, values);
      if (Object.keys(patch).length === 0) return { saved: entity, changed: false };
      return { saved: await api.update(entity.id, entity.version, patch), changed: true };
    },
    onMutate: errors.clear,
    onSuccess: ({ saved, changed }) => {
      void queryClient.invalidateQueries({ queryKey: invalidateKey });
      notifications.show({
        color: 'green',
        title: isEdit ? (changed ? `${noun} saved` : 'No changes to save') : `${noun} created`,
        message: `${saved.name} (${saved.key})`,
      });
      onDone();
    },
    onError: errors.fail,
  });

  const reload = useMutation({
    mutationFn: () => api.get(entity!.id),
    onSuccess: (fresh) => {
      onReloaded(fresh);
      errors.clear();
      void queryClient.invalidateQueries({ queryKey: invalidateKey });
    },
    onError: (error) => errors.setSubmitError(error),
  });

  return { save, reload, stale: isApiError(errors.submitError, 412) };
}
