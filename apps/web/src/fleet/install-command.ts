/** @module install-command — the one-line install and the enroll command for a server URL and a token. */

/** True for http:// to localhost, 127.0.0.0/8 or [::1]: the only plain-http servers agents accept by default. */
function isLoopback(serverUrl: string): boolean {
  try {
    const { hostname } = new URL(serverUrl);
    return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  } catch {
    return false;
  }
}

export interface InstallCommands {
  /** As root (containers, LXC, machines without sudo). */
  root: string;
  /** As a user with sudo. */
  sudo: string;
  /** `hostwire-agent enroll` for an agent installed by hand. */
  enroll: string;
  /** The server is plain http and not this machine: the lines carry --insecure-http. */
  insecureHttp: boolean;
}

/**
 * The install lines name the server explicitly (`--server`), so the script never guesses it; the script
 * carries the release key itself, the enroll line passes it (`--release-key`) when it is known.
 */
export function installCommands(
  release: { serverUrl: string; releaseKey: string | null },
  token: string,
): InstallCommands {
  const { serverUrl, releaseKey } = release;
  const insecureHttp = serverUrl.startsWith('http://') && !isLoopback(serverUrl);
  const flags = `--server ${serverUrl} --token ${token}${insecureHttp ? ' --insecure-http' : ''}`;
  const script = `curl -fsSL ${serverUrl}/install.sh`;
  return {
    root: `${script} | sh -s -- ${flags}`,
    sudo: `${script} | sudo sh -s -- ${flags}`,
    enroll: `hostwire-agent enroll ${flags}${releaseKey ? ` --release-key ${releaseKey}` : ''}`,
    insecureHttp,
  };
}
