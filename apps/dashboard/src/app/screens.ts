/** The navigation, in the order a marketer works through it; each entry is a screen that exists. */
export const SCREENS: { path: string; label: string }[] = [
  { path: '/contacts', label: 'Contacts' },
  { path: '/lists', label: 'Lists' },
  { path: '/segments', label: 'Segments' },
  { path: '/templates', label: 'Templates' },
  { path: '/campaigns', label: 'Campaigns' },
  { path: '/reports', label: 'Reports' },
  { path: '/senders', label: 'Senders' },
  { path: '/suppressions', label: 'Suppressions' },
  { path: '/sandbox', label: 'Sandbox inbox' },
  { path: '/inbound', label: 'Bounces & complaints' },
  { path: '/settings', label: 'Settings' },
];
