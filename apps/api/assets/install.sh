#!/bin/sh
# Hostwire agent installer, served by the Hostwire server at /install.sh.
#
#   curl -fsSL https://hostwire.example.com/install.sh | sudo sh -s -- --token <enrollment token>
#
# Downloads the hostwire-agent executable for this machine from the server, checks it against the
# server's SHA256SUMS, installs it to --prefix, enrolls this host into --config (mode 0600) and, where
# systemd runs and this is root, installs and starts the hardened hostwire-agent.service. Run it again
# to upgrade: the binary is replaced atomically, the config is kept and the service restarted.
set -eu

SERVER='@@SERVER@@'
TOKEN=''
PREFIX=''
CONFIG=''
SERVICE=1
SERVICE_USER='hostwire-agent'
STATE_DIR='/var/lib/hostwire-agent'
UNIT='/etc/systemd/system/hostwire-agent.service'

say() { printf 'hostwire: %s\n' "$*"; }
die() {
  printf 'hostwire: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<USAGE
Usage: install.sh [--token <enrollment token>] [options]

Options:
  --token <token>   one-time enrollment token from the Add-host dialog (needed unless already enrolled)
  --server <url>    Hostwire server (default: ${SERVER})
  --prefix <dir>    where to install hostwire-agent (default: /usr/local/bin, or ~/.local/bin as non-root)
  --config <path>   agent config file (default: /etc/hostwire/agent.json, or ~/.config/hostwire/agent.json)
  --no-service      do not install the systemd service; print the command that runs the agent
  -h, --help        this help
USAGE
}

need_value() {
  [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --token) need_value "$1" $#; TOKEN=$2; shift 2 ;;
    --token=*) TOKEN=${1#*=}; shift ;;
    --server) need_value "$1" $#; SERVER=$2; shift 2 ;;
    --server=*) SERVER=${1#*=}; shift ;;
    --prefix) need_value "$1" $#; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --config) need_value "$1" $#; CONFIG=$2; shift 2 ;;
    --config=*) CONFIG=${1#*=}; shift ;;
    --no-service) SERVICE=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

SERVER=${SERVER%/}
case "$SERVER" in
  http://* | https://*) ;;
  *) die "--server must be an http:// or https:// URL, got: $SERVER" ;;
esac

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
if [ "$IS_ROOT" -eq 1 ]; then
  : "${PREFIX:=/usr/local/bin}"
  : "${CONFIG:=/etc/hostwire/agent.json}"
else
  [ -n "${HOME:-}" ] || die "HOME is not set; pass --prefix and --config"
  : "${PREFIX:=$HOME/.local/bin}"
  : "${CONFIG:=$HOME/.config/hostwire/agent.json}"
  if [ "$SERVICE" -eq 1 ]; then
    say "not running as root: installing for this user only, without the system service"
    SERVICE=0
  fi
fi

[ "$(uname -s)" = Linux ] || die "the hostwire-agent executable is built for Linux only (this is $(uname -s))"
case "$(uname -m)" in
  x86_64 | amd64) ARCH=x64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) die "no hostwire-agent executable for the $(uname -m) architecture" ;;
esac
NAME="hostwire-agent-linux-$ARCH"

download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "curl or wget is needed to download the agent"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die "sha256sum, shasum or openssl is needed to verify the download"
  fi
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

say "downloading $NAME from $SERVER"
download "$SERVER/downloads/$NAME" "$TMP/$NAME" || die "download of $SERVER/downloads/$NAME failed"
download "$SERVER/downloads/SHA256SUMS" "$TMP/SHA256SUMS" || die "download of $SERVER/downloads/SHA256SUMS failed"
EXPECTED=$(grep " $NAME\$" "$TMP/SHA256SUMS" | cut -d ' ' -f 1 | head -n 1)
[ -n "$EXPECTED" ] || die "SHA256SUMS on the server has no entry for $NAME"
ACTUAL=$(sha256_of "$TMP/$NAME")
[ "$EXPECTED" = "$ACTUAL" ] || die "checksum mismatch for $NAME (expected $EXPECTED, got $ACTUAL): not installed"
say "checksum verified ($ACTUAL)"

BIN="$PREFIX/hostwire-agent"
mkdir -p "$PREFIX"
cp "$TMP/$NAME" "$PREFIX/.hostwire-agent.new"
chmod 0755 "$PREFIX/.hostwire-agent.new"
UPGRADED=0
[ -e "$BIN" ] && UPGRADED=1
mv -f "$PREFIX/.hostwire-agent.new" "$BIN"
if [ "$UPGRADED" -eq 1 ]; then
  say "upgraded $BIN to $("$BIN" --version)"
else
  say "installed $BIN $("$BIN" --version)"
fi

if [ -f "$CONFIG" ]; then
  say "keeping the existing config $CONFIG (already enrolled)"
else
  [ -n "$TOKEN" ] || die "no config at $CONFIG yet: pass --token <enrollment token> to enroll this host"
  if [ "$SERVICE" -eq 1 ]; then
    "$BIN" enroll --server "$SERVER" --token "$TOKEN" --config "$CONFIG" --state-dir "$STATE_DIR"
  else
    "$BIN" enroll --server "$SERVER" --token "$TOKEN" --config "$CONFIG"
  fi
fi

HAS_SYSTEMD=0
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  HAS_SYSTEMD=1
fi

if [ "$SERVICE" -eq 0 ] || [ "$HAS_SYSTEMD" -eq 0 ]; then
  [ "$SERVICE" -eq 1 ] && say "systemd is not running here: no service installed"
  say "start the agent with: $BIN run --config $CONFIG"
  exit 0
fi

if ! id "$SERVICE_USER" >/dev/null 2>&1; then
  if command -v useradd >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir "$STATE_DIR" --shell /usr/sbin/nologin "$SERVICE_USER"
  else
    adduser -S -D -H -h "$STATE_DIR" -s /sbin/nologin "$SERVICE_USER"
  fi
  say "created the system user $SERVICE_USER"
fi
GROUPS_ADDED=''
for group in systemd-journal adm docker; do
  if getent group "$group" >/dev/null 2>&1; then
    usermod -a -G "$group" "$SERVICE_USER" 2>/dev/null || addgroup "$SERVICE_USER" "$group" 2>/dev/null || true
    GROUPS_ADDED="$GROUPS_ADDED $group"
  fi
done
[ -n "$GROUPS_ADDED" ] && say "$SERVICE_USER reads logs through the groups:$GROUPS_ADDED"

CONFIG_DIR=$(dirname "$CONFIG")
chown "$SERVICE_USER:" "$CONFIG_DIR" "$CONFIG"
chmod 0700 "$CONFIG_DIR"
chmod 0600 "$CONFIG"

cat >"$UNIT.tmp" <<UNITFILE
# Written by the Hostwire installer ($SERVER/install.sh); running it again rewrites this file.
# Actions that need root (restarting services, rebooting) need a sudoers rule for $SERVICE_USER, or
# User=root and NoNewPrivileges=no here: see docs/agent.md, "Running as a service".
[Unit]
Description=Hostwire agent
Documentation=$SERVER
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$SERVICE_USER
Group=$SERVICE_USER
ExecStart=$BIN run --config $CONFIG
Restart=always
RestartSec=5
StateDirectory=hostwire-agent
StateDirectoryMode=0700
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
CapabilityBoundingSet=
AmbientCapabilities=

[Install]
WantedBy=multi-user.target
UNITFILE
mv -f "$UNIT.tmp" "$UNIT"
systemctl daemon-reload
systemctl enable hostwire-agent.service >/dev/null 2>&1
systemctl restart hostwire-agent.service
say "installed and started hostwire-agent.service ($UNIT)"
say "check it with: systemctl status hostwire-agent; $BIN status --config $CONFIG"
