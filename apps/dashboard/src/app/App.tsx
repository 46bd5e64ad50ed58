import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { ContactPage } from '../pages/contacts/ContactPage';
import { ContactsPage } from '../pages/contacts/ContactsPage';
import { ListsPage } from '../pages/lists/ListsPage';
// Sending: campaigns, reports, senders, sandbox inbox.
import { CampaignPage } from '../pages/campaigns/CampaignPage';
import { CampaignsPage } from '../pages/campaigns/CampaignsPage';
import { CampaignWizardPage } from '../pages/campaigns/CampaignWizard';
import { ReportPage } from '../pages/reports/ReportPage';
import { ReportsPage } from '../pages/reports/ReportsPage';
import { SandboxPage } from '../pages/sandbox/SandboxPage';
import { SenderPage } from '../pages/senders/SenderPage';
import { SendersPage } from '../pages/senders/SendersPage';
import { ErrorAlert, Loading } from '../ui/states';
import { useSession } from './session';
import { Shell } from './Shell';
import { SignIn } from './SignIn';

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
