import { useState } from 'react';
import {
  Accordion,
  ActionIcon,
  Badge,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NumberInput,
  Radio,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { IconPlus, IconX } from '@tabler/icons-react';
import { formatWall, isCompleteLocal } from './model';
import { buildRule, defaultRule, parseRule, WEEKDAY_SHORT, WEEKDAYS, type Freq, type RuleModel } from './rrule';

type Repeat = 'none' | Freq | 'custom';

const UNITS: Record<Freq, [string, string]> = {
  DAILY: ['day', 'days'],
  WEEKLY: ['week', 'weeks'],
  MONTHLY: ['month', 'months'],
  YEARLY: ['year', 'years'],
};

/**
 * Builds the RRULE from plain choices (none / daily / weekly on days / monthly by day / yearly; interval; ends
 * never, on a date or after N) and shows the raw rule, editable, in sync: the rule text is the only state.
 */
export function RecurrenceBuilder({
  start,
  rrule,
  exdates,
  onRule,
  onExdates,
  ruleError,
  exdatesError,
}: {
  /** the first occurrence's local start (datetime-local value) */
  start: string;
  rrule: string;
  exdates: string[];
  onRule: (rrule: string) => void;
  onExdates: (exdates: string[]) => void;
  ruleError?: string;
  exdatesError?: string;
}) {
  const model = rrule.trim() ? parseRule(rrule) : null;
  const repeat: Repeat = !rrule.trim() ? 'none' : model ? model.freq : 'custom';
  const [advanced, setAdvanced] = useState<string | null>(repeat === 'custom' ? 'raw' : null);
  const [exdate, setExdate] = useState('');

  const update = (patch: Partial<RuleModel>) => {
    if (model) onRule(buildRule({ ...model, ...patch }));
  };

  const setRepeat = (value: string) => {
    if (value === 'none') onRule('');
    else if (value !== 'custom') onRule(buildRule(defaultRule(value as Freq, start, model)));
  };

  return (
    <Fieldset legend="Repeats" variant="filled" data-testid="recurrence-builder">
      <Stack gap="xs">
        <SegmentedControl
          aria-label="Repeats"
          size="xs"
          value={repeat}
          onChange={setRepeat}
          data={[
            { value: 'none', label: 'Once' },
            { value: 'DAILY', label: 'Daily' },
            { value: 'WEEKLY', label: 'Weekly' },
            { value: 'MONTHLY', label: 'Monthly' },
            { value: 'YEARLY', label: 'Yearly' },
            ...(repeat === 'custom' ? [{ value: 'custom', label: 'Custom rule' }] : []),
          ]}
        />

        {repeat === 'custom' ? (
          <Text size="xs" c="dimmed" data-testid="recurrence-custom">
            This rule uses parts the builder cannot show. Edit it as text under “Advanced”, or pick a simple repeat above to
            replace it.
          </Text>
        ) : null}

        {model ? (
          <>
            <Group gap="xs" align="flex-end">
              <NumberInput
                label="Every"
                w={90}
                min={1}
                max={1000}
                allowDecimal={false}
                value={model.interval}
                onChange={(n) => update({ interval: Math.max(1, Number(n) || 1) })}
              />
              <Text size="sm" pb={8}>
                {model.interval === 1 ? UNITS[model.freq][0] : UNITS[model.freq][1]}
              </Text>
              {model.freq === 'MONTHLY' ? (
                <NumberInput
                  label="On day of the month"
                  w={150}
                  min={1}
                  max={31}
                  allowDecimal={false}
                  value={model.monthDay ?? ''}
                  onChange={(n) => update({ monthDay: n === '' ? null : Math.min(31, Math.max(1, Number(n))) })}
                />
              ) : null}
            </Group>

            {model.freq === 'WEEKLY' ? (
              <Checkbox.Group
                label="On"
                description={model.byDay.length ? undefined : 'No day chosen: the weekday of the first start.'}
                value={model.byDay}
                onChange={(days) => update({ byDay: WEEKDAYS.filter((d) => days.includes(d)) })}
              >
                <Group gap="sm" mt={4}>
                  {WEEKDAYS.map((d) => (
                    <Checkbox key={d} value={d} label={WEEKDAY_SHORT[d]} />
                  ))}
                </Group>
              </Checkbox.Group>
            ) : null}

            <Radio.Group
              label="Ends"
              value={model.ends.type}
              onChange={(type) =>
                update({
                  ends:
                    type === 'until'
                      ? { type: 'until', date: model.ends.type === 'until' ? model.ends.date : start.slice(0, 4) ? `${Number(start.slice(0, 4)) + 1}${start.slice(4, 10)}` : '' }
                      : type === 'count'
                        ? { type: 'count', count: model.ends.type === 'count' ? model.ends.count : 10 }
                        : { type: 'never' },
                })
              }
            >
              <Group gap="md" mt={4} align="center">
                <Radio value="never" label="Never" />
                <Group gap={6} wrap="nowrap">
                  <Radio value="until" label="On" />
                  <TextInput
                    type="date"
                    aria-label="Last day"
                    size="xs"
                    disabled={model.ends.type !== 'until'}
                    value={model.ends.type === 'until' ? model.ends.date : ''}
                    onChange={(e) => update({ ends: { type: 'until', date: e.currentTarget.value } })}
                  />
                </Group>
                <Group gap={6} wrap="nowrap">
                  <Radio value="count" label="After" />
                  <NumberInput
                    aria-label="Number of occurrences"
                    size="xs"
                    w={80}
                    min={1}
                    allowDecimal={false}
                    disabled={model.ends.type !== 'count'}
                    value={model.ends.type === 'count' ? model.ends.count : ''}
                    onChange={(n) => update({ ends: { type: 'count', count: Math.max(1, Number(n) || 1) } })}
                  />
                  <Text size="sm">times</Text>
                </Group>
              </Group>
            </Radio.Group>
          </>
        ) : null}

        {repeat !== 'none' ? (
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              Skipped starts
            </Text>
            <Group gap={6}>
              {exdates.length === 0 ? (
                <Text size="xs" c="dimmed">
                  None. Skip a date here or from the preview.
                </Text>
              ) : (
                exdates.map((x) => (
                  <Badge
                    key={x}
                    variant="light"
                    color="gray"
                    tt="none"
                    data-testid="exdate"
                    rightSection={
                      <ActionIcon size="xs" variant="transparent" color="gray" aria-label={`Stop skipping ${formatWall(x)}`} onClick={() => onExdates(exdates.filter((y) => y !== x))}>
                        <IconX size={12} />
                      </ActionIcon>
                    }
                  >
                    {formatWall(x)}
                  </Badge>
                ))
              )}
            </Group>
            <Group gap={6} align="flex-start">
              <TextInput
                type="datetime-local"
                size="xs"
                aria-label="Start to skip"
                value={exdate}
                onChange={(e) => setExdate(e.currentTarget.value)}
                error={exdatesError}
              />
              <Button
                size="xs"
                variant="default"
                leftSection={<IconPlus size={12} />}
                disabled={!isCompleteLocal(exdate)}
                onClick={() => {
                  onExdates([...new Set([...exdates, exdate])].sort());
                  setExdate('');
                }}
              >
                Skip this start
              </Button>
            </Group>
          </Stack>
        ) : null}

        <Accordion value={advanced} onChange={setAdvanced} variant="contained" chevronPosition="left">
          <Accordion.Item value="raw">
            <Accordion.Control>
              <Text size="sm">Advanced: raw RRULE</Text>
            </Accordion.Control>
            <Accordion.Panel>
              <TextInput
                label="RRULE (RFC 5545, without DTSTART)"
                description="Stays in sync with the choices above. Leave empty for a one-off window."
                placeholder="FREQ=WEEKLY;BYDAY=FR"
                classNames={{ input: 'sg-mono' }}
                spellCheck={false}
                autoComplete="off"
                value={rrule}
                onChange={(e) => onRule(e.currentTarget.value.toUpperCase())}
                error={ruleError}
              />
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
        {ruleError && advanced !== 'raw' ? (
          <Text size="xs" c="red" role="alert" data-testid="rrule-error">
            {ruleError}
          </Text>
        ) : null}
      </Stack>
    </Fieldset>
  );
}
