import { AppShell, Burger, Button, Group, NavLink, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Suspense } from 'react';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router';
import { api, unwrap } from '../api/client';
import { Loading } from '../ui/states';
import { SCREENS } from './screens';
import { ME } from './session';

/** The frame every screen shares: navigation on the left (a drawer on narrow screens), the screen beside it. */
export function Shell({ email }: { email: string }) {
  const [navOpen, nav] = useDisclosure(false);
  const location = useLocation();
  const queryClient = useQueryClient();
  const signOut = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSettled: () => {
      // Nothing of the session stays in memory for whoever signs in next.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME[0] });
      queryClient.setQueryData(ME, null);
    },
  });
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !navOpen } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={navOpen} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label="Navigation" />
            <Text fw={700} size="lg">
              Herald
            </Text>
          </Group>
          <Group gap="sm">
            <Text size="sm" c="dimmed" visibleFrom="xs">
              {email}
            </Text>
            <Button variant="subtle" size="xs" onClick={() => signOut.mutate()} loading={signOut.isPending}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        {SCREENS.map((screen) => (
          <NavLink
            key={screen.path}
            component={RouterLink}
            to={screen.path}
            label={screen.label}
            active={location.pathname.startsWith(screen.path)}
            onClick={nav.close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<Loading label="Loading" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
