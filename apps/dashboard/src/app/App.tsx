import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { ContactPage } from '../pages/contacts/ContactPage';
import { ContactsPage } from '../pages/contacts/ContactsPage';
import { ListsPage } from '../pages/lists/ListsPage';
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
