import { ActionIcon, Alert, Group, Loader, Paper, Stack, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { IconAlertTriangle, IconCalendarOff, IconPlayerSkipForward } from '@tabler/icons-react';
import { errorMessage } from '../../api/client';
import { windowsApi } from '../../api/endpoints';
import type { WindowPreviewInput } from '../../api/types';
import { viewerTimeZone } from '../../lib/format';
import { formatInZone, formatWall, toInputLocal, zoneAbbrev } from './model';
import { fieldErrorsOf, windowKeys } from './options';

const FIELD_LABELS: Record<string, string> = {
  timeZone: 'Time zone',
  start: 'Starts',
  end: 'Ends',
  rrule: 'Repeat rule',
  exdates: 'Skipped starts',
  kind: 'Kind',
};
const PREVIEW_PATHS: Record<string, string> = {
  timeZone: 'timeZone',
  start: 'start',
  end: 'end',
  kind: 'kind',
  recurrence: 'rrule',
  'recurrence.rrule': 'rrule',
  'recurrence.exdates': 'exdates',
};

/** Asks the server for the next occurrences as the user edits (debounced), without saving anything. */
export function usePreview(input: WindowPreviewInput | null) {
  const [debounced] = useDebouncedValue(input, 350);
  const query = useQuery({
    queryKey: windowKeys.preview(debounced ?? {}),
    queryFn: ({ signal }) => windowsApi.preview(debounced!, signal),
    enabled: debounced !== null,
    retry: false,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const settling = JSON.stringify(input) !== JSON.stringify(debounced);
  return { query, input: debounced, settling, error: debounced ? query.error : null };
}

export function OccurrencePreview({
  preview,
  timeZone,
  recurring,
  onSkip,
}: {
  preview: ReturnType<typeof usePreview>;
  timeZone: string;
  recurring: boolean;
  onSkip: (startLocal: string) => void;
}) {
  const { query, input, settling } = preview;
  const data = query.data;
  const showViewer = timeZone !== viewerTimeZone;
  const errors = fieldErrorsOf(preview.error, PREVIEW_PATHS);

  return (
    <Paper withBorder radius="md" p="sm" data-testid="window-preview" aria-live="polite">
      <Stack gap="xs">
        <Group justify="space-between" gap="xs">
          <Text fw={600} size="sm">
            {recurring ? 'Next 5 occurrences' : 'The occurrence'}
          </Text>
          {query.isFetching || settling ? <Loader size="xs" aria-label="Updating the preview" /> : null}
        </Group>
        <Text size="xs" c="dimmed">
          In the window's zone, {timeZone || '—'}
          {showViewer ? `, and in yours, ${viewerTimeZone}` : ''}. Checked by the server before you save; only
          occurrences that have not ended yet are listed.
        </Text>

        {!input ? (
          <Text size="sm" c="dimmed" data-testid="window-preview-empty">
            Enter when the first occurrence starts and ends to see the schedule.
          </Text>
        ) : preview.error ? (
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />} title="Not a valid schedule" data-testid="window-preview-error">
            {errors.unplaced.length === 0 && Object.keys(errors.fields).length ? (
              <Stack gap={2}>
                {Object.entries(errors.fields).map(([field, message]) => (
                  <Text size="sm" key={field}>
                    <b>{FIELD_LABELS[field] ?? field}:</b> {message}
                  </Text>
                ))}
              </Stack>
            ) : (
              <Text size="sm">{errorMessage(preview.error)}</Text>
            )}
          </Alert>
        ) : data ? (
          data.occurrences.length === 0 ? (
            <Group gap="xs" data-testid="window-preview-none">
              <IconCalendarOff size={16} aria-hidden />
              <Text size="sm">No occurrence ends after now: this window is over.</Text>
            </Group>
          ) : (
            <>
              <Table withRowBorders verticalSpacing={4} fz="sm" data-testid="window-preview-table" aria-label="Previewed occurrences">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={24}>#</Table.Th>
                    <Table.Th>Starts ({data.timeZone})</Table.Th>
                    <Table.Th>Ends</Table.Th>
                    {recurring ? (
                      <Table.Th w={36}>
                        <VisuallyHidden>Skip</VisuallyHidden>
                      </Table.Th>
                    ) : null}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.occurrences.map((o, i) => (
                    <Table.Tr key={o.start} data-testid={`preview-row-${i + 1}`}>
                      <Table.Td c="dimmed">{i + 1}</Table.Td>
                      <Table.Td>
                        <Text size="sm" data-testid="preview-start">
                          {formatWall(o.startLocal)} <Text span size="xs" c="dimmed">{zoneAbbrev(o.start, data.timeZone)}</Text>
                        </Text>
                        {showViewer ? (
                          <Text size="xs" c="dimmed" data-testid="preview-start-viewer">
                            {formatInZone(o.start, viewerTimeZone)} {zoneAbbrev(o.start, viewerTimeZone)} (yours)
                          </Text>
                        ) : null}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" data-testid="preview-end">
                          {formatWall(o.endLocal)} <Text span size="xs" c="dimmed">{zoneAbbrev(o.end, data.timeZone)}</Text>
                        </Text>
                        {showViewer ? (
                          <Text size="xs" c="dimmed" data-testid="preview-end-viewer">
                            {formatInZone(o.end, viewerTimeZone)} {zoneAbbrev(o.end, viewerTimeZone)} (yours)
                          </Text>
                        ) : null}
                      </Table.Td>
                      {recurring ? (
                        <Table.Td>
                          <Tooltip label="Skip this occurrence (adds it to the skipped starts)">
                            <ActionIcon
                              variant="subtle"
                              color="gray"
                              aria-label={`Skip the occurrence starting ${formatWall(o.startLocal)}`}
                              onClick={() => onSkip(toInputLocal(o.startLocal))}
                            >
                              <IconPlayerSkipForward size={14} />
                            </ActionIcon>
                          </Tooltip>
                        </Table.Td>
                      ) : null}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              <Text size="xs" c="dimmed" data-testid="window-preview-bounds">
                {data.bounds.lastEnd
                  ? `The last occurrence ends ${formatInZone(data.bounds.lastEnd, data.timeZone)} (${data.timeZone}).`
                  : recurring
                    ? 'Repeats forever.'
                    : ''}
              </Text>
            </>
          )
        ) : query.isPending ? (
          <Text size="sm" c="dimmed">
            Checking the schedule…
          </Text>
        ) : null}
      </Stack>
    </Paper>
  );
}
