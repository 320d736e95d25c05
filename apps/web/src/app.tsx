/** @module app — the top-level shell: session gate, realtime connection and the page for the current path. */
import { lazy, Suspense, type ReactNode } from 'react';
import { ConnectionBanner } from './components/connection-banner.js';
import { Header } from './components/header.js';
import { ErrorText, Loading } from './components/bits.js';
import { AccountPage } from './account/account-page.js';
import { AlertsProvider } from './alerts/alerts-context.js';
import { AlertsPage } from './alerts/alerts-page.js';
import { AuditPage } from './audit/audit-page.js';
import { FleetPage } from './fleet/fleet-page.js';
import { MembersPage } from './members/members-page.js';
import { LoginPage } from './pages/login-page.js';
import { NoOrganizationPage, NotFoundPage } from './pages/misc-pages.js';
import { SetupPage } from './pages/setup-page.js';
import { SettingsPage } from './settings/settings-page.js';
import { AcceptInvitationPage, invitationToken } from './pages/accept-invitation-page.js';
import { RealtimeProvider, useConnectionState } from './realtime/realtime-context.js';
import { matchPath, usePathname } from './router/router.js';
import { SessionProvider, useSession } from './session/session.js';

// The host page carries uPlot and the log virtualizer: loaded on first visit, not with login and fleet.
const HostPage = lazy(() => import('./host/host-page.js').then((m) => ({ default: m.HostPage })));

function SignedInPage() {
  const pathname = usePathname();
  const { organization } = useSession();
  if (pathname === '/account') return <AccountPage />;
  if (!organization) return <NoOrganizationPage />;
  if (pathname === '/' || pathname === '/login' || pathname === '/setup')
    return <FleetPage organization={organization} />;
  const host = matchPath('/hosts/:hostId/:tab?', pathname);
  if (host?.hostId)
    return (
      <Suspense fallback={<Loading label="Loading host…" />}>
        <HostPage key={host.hostId} hostId={host.hostId} tab={host.tab ?? 'metrics'} />
      </Suspense>
    );
  if (pathname === '/members') return <MembersPage key={organization.id} organization={organization} />;
  if (pathname === '/audit') return <AuditPage key={organization.id} organization={organization} />;
  if (pathname === '/settings') return <SettingsPage key={organization.id} organization={organization} />;
  const alerts = matchPath('/alerts/:tab?', pathname);
  if (alerts) return <AlertsPage organization={organization} tab={alerts.tab ?? 'alerts'} />;
  return <NotFoundPage />;
}

/** The page area; greyed (data-connection="lost") while live updates are interrupted. */
function SignedInMain() {
  const state = useConnectionState();
  return (
    <main id="main" tabIndex={-1} className="page" data-connection={state === 'open' ? 'open' : 'lost'}>
      <SignedInPage />
    </main>
  );
}

/** The organization's live alerts for every page (fleet rows, host header, Alerts page, the header count). */
function OrganizationAlerts({ children }: { children: ReactNode }) {
  const { organization } = useSession();
  if (!organization) return <>{children}</>;
  return (
    <AlertsProvider key={organization.id} organizationId={organization.id}>
      {children}
    </AlertsProvider>
  );
}

function Gate() {
  const session = useSession();
  const pathname = usePathname();
  const { status } = session;
  const invitation = invitationToken(pathname);
  if (invitation && status.kind !== 'unreachable') return <AcceptInvitationPage token={invitation} />;
  switch (status.kind) {
    case 'loading':
      return (
        <main className="centered">
          <Loading />
        </main>
      );
    case 'unreachable':
      return (
        <main className="centered">
          <div className="card narrow">
            <h1>Hostwire is not reachable</h1>
            <ErrorText message={status.message} />
            <button type="button" className="button" onClick={() => void session.refresh()}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'setup':
      return <SetupPage />;
    case 'anonymous':
      return <LoginPage expired={status.expired} />;
    case 'signed-in':
      return (
        <RealtimeProvider onSessionEnded={session.expired}>
          <a href="#main" className="skip-link">
            Skip to content
          </a>
          <OrganizationAlerts>
            <Header />
            <ConnectionBanner />
            <SignedInMain />
          </OrganizationAlerts>
        </RealtimeProvider>
      );
  }
}

/** The whole UI. */
export function App() {
  return (
    <SessionProvider>
      <Gate />
    </SessionProvider>
  );
}
