import { AppShell, Burger, Button, em, Group, NavLink, px, Text, useMantineTheme } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type MouseEvent, Suspense } from 'react';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router';
import { api, unwrap } from '../api/client';
import { Loading } from '../ui/states';
import { SCREENS } from './screens';
import { ME } from './session';
import classes from './Shell.module.css';

/** Below this width (tablets included) the navigation is a drawer behind the burger. */
const NAV_BREAKPOINT = 'md';

/**
 * The frame every screen shares: navigation on the left (a drawer behind a
 * burger below the `md` breakpoint), the screen beside it, and a skip link
 * to the screen as the first stop of the keyboard.
 */
export function Shell({ email }: { email: string }) {
  const [navOpen, nav] = useDisclosure(false);
  // A closed drawer is only moved off-screen: `inert` keeps its links out of the Tab order too.
  const theme = useMantineTheme();
  const drawer = useMediaQuery(`(max-width: ${em(Number(px(theme.breakpoints[NAV_BREAKPOINT])) - 0.1)})`) ?? false;
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
      navbar={{ width: 230, breakpoint: NAV_BREAKPOINT, collapsed: { mobile: !navOpen } }}
      padding={{ base: 'sm', sm: 'lg' }}
    >
      <a href="#main" className={classes.skipLink} onClick={skipToMain}>
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navOpen}
              onClick={nav.toggle}
              hiddenFrom={NAV_BREAKPOINT}
              size="sm"
              aria-label="Navigation"
              aria-expanded={navOpen}
              aria-controls="main-navigation"
            />
            <Text fw={700} size="lg">
              Herald
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="xs" truncate>
              {email}
            </Text>
            <Button variant="subtle" size="xs" onClick={() => signOut.mutate()} loading={signOut.isPending}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar
        p="xs"
        component="nav"
        aria-label="Main"
        id="main-navigation"
        inert={drawer && !navOpen}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && drawer && navOpen) nav.close();
        }}
      >
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
      <AppShell.Main id="main" tabIndex={-1} className={classes.main}>
        <Suspense fallback={<Loading label="Loading" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}

/** Moves focus to the screen itself, so the next Tab starts there (the hash alone does not in every browser). */
function skipToMain(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}
