import type { ReactNode } from 'react';
import { Badge, Group, List, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconClockHour4 } from '@tabler/icons-react';

interface ComingSoonProps {
  title: string;
  question: string;
  shows: string[];
  icon?: ReactNode;
}

/** An honest page for an area that is planned but not built: what it will answer, no fake data. */
export function ComingSoon({ title, question, shows, icon }: ComingSoonProps) {
  return (
    <Stack gap="md" maw={720}>
      <Group gap="sm">
        <Title order={1} fz="h3">
          {title}
        </Title>
        <Badge color="gray" variant="outline" leftSection={<IconClockHour4 size={12} />}>
          Not available yet
        </Badge>
      </Group>
      <Paper withBorder p="lg" radius="md">
        <Group align="flex-start" gap="md" wrap="nowrap">
          <ThemeIcon size={40} radius="md" variant="light" color="gray" aria-hidden>
            {icon ?? <IconClockHour4 size={22} />}
          </ThemeIcon>
          <Stack gap="xs">
            <Text size="xs" tt="uppercase" fw={600} c="dimmed">
              The question this page will answer
            </Text>
            <Text fw={600} size="lg">
              {question}
            </Text>
            <Text size="sm" c="dimmed" mt="xs">
              When it ships, it will show:
            </Text>
            <List size="sm" spacing={4}>
              {shows.map((item) => (
                <List.Item key={item}>{item}</List.Item>
              ))}
            </List>
            <Text size="sm" mt="sm">
              This area is not available yet in this version of Shipgate. Nothing here is simulated — there
              is no data to show until the feature is built.
            </Text>
          </Stack>
        </Group>
      </Paper>
    </Stack>
  );
}
