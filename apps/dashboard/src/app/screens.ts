/** The navigation, in the order a marketer works through it; each entry is a screen that exists. */
export const SCREENS: { path: string; label: string }[] = [
  { path: '/contacts', label: 'Contacts' },
  { path: '/lists', label: 'Lists' },
  // Sending: campaigns, reports, senders, sandbox inbox.
  { path: '/campaigns', label: 'Campaigns' },
  { path: '/reports', label: 'Reports' },
  { path: '/senders', label: 'Senders' },
  { path: '/sandbox', label: 'Sandbox inbox' },
];
