import { lazy } from 'react';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { ContactPage } from '../pages/contacts/ContactPage';
import { ContactsPage } from '../pages/contacts/ContactsPage';
import { ListsPage } from '../pages/lists/ListsPage';
import { ErrorAlert, Loading } from '../ui/states';
import { useSession } from './session';
import { Shell } from './Shell';
import { SignIn } from './SignIn';

// Every screen but the first loads when it is first opened.
const CampaignPage = lazy(() => import('../pages/campaigns/CampaignPage').then((m) => ({ default: m.CampaignPage })));
const CampaignsPage = lazy(() =>
  import('../pages/campaigns/CampaignsPage').then((m) => ({ default: m.CampaignsPage })),
);
const CampaignWizardPage = lazy(() =>
  import('../pages/campaigns/CampaignWizard').then((m) => ({ default: m.CampaignWizardPage })),
);
const ReportPage = lazy(() => import('../pages/reports/ReportPage').then((m) => ({ default: m.ReportPage })));
const ReportsPage = lazy(() => import('../pages/reports/ReportsPage').then((m) => ({ default: m.ReportsPage })));
const InboundPage = lazy(() => import('../pages/inbound/InboundPage').then((m) => ({ default: m.InboundPage })));
const SandboxPage = lazy(() => import('../pages/sandbox/SandboxPage').then((m) => ({ default: m.SandboxPage })));
const SenderPage = lazy(() => import('../pages/senders/SenderPage').then((m) => ({ default: m.SenderPage })));
const SendersPage = lazy(() => import('../pages/senders/SendersPage').then((m) => ({ default: m.SendersPage })));
const ImportWizardPage = lazy(() =>
  import('../pages/imports/ImportWizardPage').then((m) => ({ default: m.ImportWizardPage })),
);
const ImportPage = lazy(() => import('../pages/imports/ImportPage').then((m) => ({ default: m.ImportPage })));
const SegmentsPage = lazy(() => import('../pages/segments/SegmentsPage').then((m) => ({ default: m.SegmentsPage })));
const SegmentPage = lazy(() => import('../pages/segments/SegmentPage').then((m) => ({ default: m.SegmentPage })));
const TemplatesPage = lazy(() =>
  import('../pages/templates/TemplatesPage').then((m) => ({ default: m.TemplatesPage })),
);
const TemplatePage = lazy(() => import('../pages/templates/TemplatePage').then((m) => ({ default: m.TemplatePage })));
const SuppressionsPage = lazy(() =>
  import('../pages/suppressions/SuppressionsPage').then((m) => ({ default: m.SuppressionsPage })),
);
const ListPage = lazy(() => import('../pages/lists/ListPage').then((m) => ({ default: m.ListPage })));
const SettingsPage = lazy(() => import('../pages/settings/SettingsPage').then((m) => ({ default: m.SettingsPage })));

function routerFor(email: string) {
  return createBrowserRouter([
    {
      path: '/',
      element: <Shell email={email} />,
      hydrateFallbackElement: <Loading label="Loading" />,
      children: [
        { index: true, element: <Navigate to="/contacts" replace /> },
        { path: 'contacts', element: <ContactsPage /> },
        { path: 'contacts/:id', element: <ContactPage /> },
        { path: 'lists', element: <ListsPage /> },
        { path: 'lists/:id', element: <ListPage /> },
        { path: 'imports/new', element: <ImportWizardPage /> },
        { path: 'imports/:id', element: <ImportPage /> },
        { path: 'segments', element: <SegmentsPage /> },
        { path: 'segments/new', element: <SegmentPage /> },
        { path: 'segments/:id', element: <SegmentPage /> },
        { path: 'templates', element: <TemplatesPage /> },
        { path: 'templates/:id', element: <TemplatePage /> },
        { path: 'suppressions', element: <SuppressionsPage /> },
        { path: 'settings', element: <SettingsPage /> },
        // Sending: campaigns, reports, senders, sandbox inbox.
        { path: 'campaigns', element: <CampaignsPage /> },
        { path: 'campaigns/new', element: <CampaignWizardPage /> },
        { path: 'campaigns/:id', element: <CampaignPage /> },
        { path: 'campaigns/:id/edit', element: <CampaignWizardPage /> },
        { path: 'campaigns/:id/report', element: <ReportPage /> },
        { path: 'reports', element: <ReportsPage /> },
        { path: 'senders', element: <SendersPage /> },
        { path: 'senders/:id', element: <SenderPage /> },
        { path: 'sandbox', element: <SandboxPage /> },
        { path: 'sandbox/:id', element: <SandboxPage /> },
        { path: 'inbound', element: <InboundPage /> },
        { path: 'inbound/:id', element: <InboundPage /> },
        { path: '*', element: <Navigate to="/contacts" replace /> },
      ],
    },
  ]);
}

let router: { email: string; instance: ReturnType<typeof routerFor> } | undefined;

/** Signed out: the sign-in screen at any address; signed in: the dashboard. */
export function App() {
  const session = useSession();
  if (session.isPending) return <Loading label="Loading Herald" />;
  if (session.isError) return <ErrorAlert error={session.error} />;
  const user = session.data;
  if (user === null) return <SignIn />;
  if (router === undefined || router.email !== user.email) {
    router = { email: user.email, instance: routerFor(user.email) };
  }
  return <RouterProvider router={router.instance} />;
}
