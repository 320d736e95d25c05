/** @module connection-banner — tells the user when live updates are interrupted, and when they are back. */
import { useEffect, useRef, useState } from 'react';
import { useConnectionState } from '../realtime/realtime-context.js';

/** How long "Reconnected" stays on screen. */
const RECONNECTED_MS = 5000;

/** Shown while the realtime connection is being re-established, then briefly after it is back. */
export function ConnectionBanner() {
  const state = useConnectionState();
  const [showBack, setShowBack] = useState(false);
  const lost = useRef(false);
  useEffect(() => {
    if (state === 'reconnecting') {
      lost.current = true;
      setShowBack(false);
    } else if (state === 'open' && lost.current) {
      lost.current = false;
      setShowBack(true);
      const timer = setTimeout(() => setShowBack(false), RECONNECTED_MS);
      return () => clearTimeout(timer);
    }
    return undefined;
  }, [state]);
  // One live region for both messages, so screen readers announce the change.
  return (
    <div role="status" aria-live="polite" className="banner-slot">
      {state === 'reconnecting' ? (
        <div className="banner banner-warn" data-testid="banner-reconnecting">
          Reconnecting… Live updates are paused; figures shown are the last known ones.
        </div>
      ) : showBack ? (
        <div className="banner banner-ok" data-testid="banner-reconnected">
          Reconnected. Live updates resumed; hosts catch up as their agents reconnect.
        </div>
      ) : null}
    </div>
  );
}
