/** @module settings-page — the organization's settings (admins and owners): its API tokens. */
import { roleAtLeast, type Organization } from '@hostwire/protocol';
import { ErrorText } from '../components/bits.js';
import { ApiTokensSection } from './api-tokens.js';

export function SettingsPage({ organization }: { organization: Organization }) {
  if (!roleAtLeast(organization.role, 'admin'))
    return <ErrorText message="Only admins and owners change the organization's settings." />;
  return (
    <section aria-labelledby="settings-title">
      <div className="page-head">
        <h1 id="settings-title">Settings of {organization.name}</h1>
      </div>
      <ApiTokensSection organization={organization} />
    </section>
  );
}
