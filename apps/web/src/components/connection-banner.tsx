/** @module connection-banner — tells the user when live updates are interrupted. */
import { useConnectionState } from '../realtime/realtime-context.js';

/** Shown while the realtime connection is being re-established. */
export function ConnectionBanner() {
  const state = useConnectionState();
  if (state !== 'reconnecting') return null;
  return (
    <div className="banner banner-warn" role="status" data-testid="banner-reconnecting">
      Reconnecting… Live updates are paused; the page catches up when the connection is back.
    </div>
  );
}
