/** The navigation, in the order a marketer works through it; each entry is a screen that exists. */
export const SCREENS: { path: string; label: string }[] = [
  { path: '/contacts', label: 'Contacts' },
  { path: '/lists', label: 'Lists' },
  { path: '/segments', label: 'Segments' },
  { path: '/templates', label: 'Templates' },
  { path: '/suppressions', label: 'Suppressions' },
  { path: '/settings', label: 'Settings' },
];
