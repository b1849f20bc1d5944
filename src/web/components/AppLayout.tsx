import { Suspense } from 'react';
import {
  ActionIcon,
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Stack,
  Text,
  Tooltip,
  useComputedColorScheme,
  useMantineColorScheme,
  VisuallyHidden,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { IconLogout, IconMoon, IconSun, IconRocket } from '@tabler/icons-react';
import { authApi } from '../api/endpoints';
import { errorMessage } from '../api/client';
import { useCurrentUser } from '../features/auth/session';
import { NAV } from './nav';
import { RoutePending } from './RouteStates';

function isActive(pathname: string, to: string): boolean {
  if (to === '/') return pathname === '/';
  return pathname === to || pathname.startsWith(`${to}/`);
}

function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light', { getInitialValueInEffect: true });
  const next = computed === 'dark' ? 'light' : 'dark';
  const label = `Switch to ${next} colour scheme`;
  return (
    <Tooltip label={label}>
      <ActionIcon variant="subtle" color="gray" size="md" aria-label={label} onClick={() => setColorScheme(next)}>
        {computed === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}

function UserBlock() {
  const user = useCurrentUser();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: authApi.logout,
    onSettled: (_data, error) => {
      if (error) {
        notifications.show({ color: 'red', title: 'Sign-out failed on the server', message: errorMessage(error) });
      }
      queryClient.clear();
      void navigate({ to: '/sign-in', search: {}, replace: true });
    },
  });
  return (
    <Group gap="sm" wrap="nowrap">
      <Stack gap={0} align="flex-end" visibleFrom="sm" data-testid="current-user">
        <Text size="sm" fw={500} lh={1.2}>
          {user.name}
        </Text>
        <Group gap={4} wrap="nowrap" aria-label="Your roles">
          {user.roles.length === 0 ? (
            <Text size="xs" c="dimmed">
              No roles
            </Text>
          ) : (
            user.roles.map((role) => (
              <Badge key={role} size="xs" variant="outline" color="gray">
                {role}
              </Badge>
            ))
          )}
        </Group>
      </Stack>
      <ColorSchemeToggle />
      <Button
        variant="default"
        leftSection={<IconLogout size={14} />}
        onClick={() => logout.mutate()}
        loading={logout.isPending}
      >
        Sign out
      </Button>
    </Group>
  );
}

export function AppLayout() {
  const [navOpened, { toggle, close }] = useDisclosure(false);
  const pathname = useRouterState({ select: (s) => s.location.pathname });

  return (
    <AppShell
      header={{ height: 48 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
      padding="md"
    >
      <AppShell.Header px="md">
        <Group h="100%" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={navOpened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Link to="/" style={{ textDecoration: 'none', color: 'inherit' }}>
              <Group gap={6} wrap="nowrap">
                <IconRocket size={20} color="var(--mantine-color-indigo-6)" aria-hidden />
                <Text fw={700} size="md">
                  Shipgate
                </Text>
              </Group>
            </Link>
          </Group>
          <UserBlock />
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p={6} aria-label="Main navigation">
        <AppShell.Section grow component={ScrollArea}>
          <nav>
            {NAV.map((group, gi) => (
              <div key={group.label ?? gi} style={{ marginTop: gi === 0 ? 0 : 12 }}>
                {group.label ? (
                  <Text size="xs" fw={600} c="dimmed" tt="uppercase" px="sm" py={4} id={`nav-group-${gi}`}>
                    {group.label}
                  </Text>
                ) : null}
                <div role="list" aria-labelledby={group.label ? `nav-group-${gi}` : undefined}>
                  {group.items.map((item) => {
                    const active = isActive(pathname, item.to);
                    return (
                      <div role="listitem" key={item.to}>
                        <NavLink
                          renderRoot={(props) => <Link to={item.to} {...props} />}
                          label={
                            <>
                              {item.label}
                              {group.label === 'Catalog' && item.label === 'Environments' ? (
                                <VisuallyHidden> (catalog)</VisuallyHidden>
                              ) : null}
                            </>
                          }
                          leftSection={<item.icon size={16} stroke={1.6} />}
                          rightSection={
                            item.ready ? null : (
                              <Text size="10px" c="dimmed" aria-label="not available yet">
                                soon
                              </Text>
                            )
                          }
                          active={active}
                          aria-current={active ? 'page' : undefined}
                          data-testid={item.testId}
                          onClick={close}
                          py={5}
                          styles={{ label: { fontSize: 'var(--mantine-font-size-sm)' } }}
                          variant="light"
                        />
                      </div>
                    );
                  })}
                </div>
              </div>
            ))}
          </nav>
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main>
        <Suspense fallback={<RoutePending />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
