/** @module header — top bar: brand, navigation, organization switcher, user and logout. */
import { roleAtLeast } from '@hostwire/protocol';
import { useState } from 'react';
import { useAlerts } from '../alerts/alerts-context.js';
import { errorMessage } from '../api/http.js';
import { Link, usePathname } from '../router/router.js';
import { useMe, useSession } from '../session/session.js';

function NavLink({ to, children, active }: { to: string; children: string; active: boolean }) {
  return (
    <Link
      to={to}
      className={active ? 'nav-link active' : 'nav-link'}
      aria-current={active ? 'page' : undefined}
    >
      {children}
    </Link>
  );
}

/** The header of every signed-in page. */
export function Header() {
  const me = useMe();
  const { organization, selectOrganization, signOut } = useSession();
  const pathname = usePathname();
  const [error, setError] = useState<string | null>(null);
  const isAdmin = organization ? roleAtLeast(organization.role, 'admin') : false;
  const fleetActive = pathname === '/' || pathname.startsWith('/hosts/');
  const firing = useAlerts().firing?.length ?? 0;

  return (
    <header className="app-header">
      <Link to="/" className="brand" aria-label="Hostwire home">
        <span className="brand-mark" aria-hidden="true" />
        Hostwire
      </Link>
      <nav className="nav" aria-label="Main">
        <NavLink to="/" active={fleetActive}>
          Fleet
        </NavLink>
        <Link
          to="/alerts"
          className={pathname.startsWith('/alerts') ? 'nav-link active' : 'nav-link'}
          aria-current={pathname.startsWith('/alerts') ? 'page' : undefined}
          data-testid="nav-alerts"
        >
          Alerts
          {firing > 0 ? (
            <span
              className="badge badge-danger nav-count"
              data-testid="nav-firing-count"
              aria-label={`${firing} firing`}
            >
              {firing}
            </span>
          ) : null}
        </Link>
        {isAdmin ? (
          <NavLink to="/members" active={pathname === '/members'}>
            Members
          </NavLink>
        ) : null}
        <NavLink to="/audit" active={pathname === '/audit'}>
          Audit
        </NavLink>
        {isAdmin ? (
          <NavLink to="/settings" active={pathname === '/settings'}>
            Settings
          </NavLink>
        ) : null}
      </nav>
      <div className="header-end">
        {me.organizations.length > 1 && organization ? (
          <label className="org-switcher">
            <span className="visually-hidden">Organization</span>
            <select
              data-testid="org-switcher"
              value={organization.id}
              onChange={(event) => selectOrganization(event.target.value)}
            >
              {me.organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name} ({o.role})
                </option>
              ))}
            </select>
          </label>
        ) : organization ? (
          <span className="org-name" data-testid="org-name" title={`Role: ${organization.role}`}>
            {organization.name}
          </span>
        ) : null}
        <Link
          to="/account"
          className="user-email"
          data-testid="user-email"
          title="Your account: password, two-factor, sessions"
          aria-current={pathname === '/account' ? 'page' : undefined}
        >
          {me.user.email}
        </Link>
        <button
          type="button"
          className="button small ghost"
          data-testid="logout-button"
          onClick={() => void signOut().catch((e: unknown) => setError(errorMessage(e)))}
        >
          Log out
        </button>
        {error ? (
          <span className="error-text" role="alert">
            {error}
          </span>
        ) : null}
      </div>
    </header>
  );
}
