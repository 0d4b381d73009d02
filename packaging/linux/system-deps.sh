#!/bin/sh
# Installs the system libraries Qt needs on Debian and Ubuntu, and Python's venv module when it
# is missing. Safe to run again: it installs only what is not there yet. On other systems, or
# without root or sudo, it says what to install and carries on.
set -u
pkgs="libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0
      libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
      libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1
      libx11-xcb1 fonts-dejavu-core"
python3 -c "import ensurepip, venv" 2>/dev/null || pkgs="$pkgs python3-venv"

command -v dpkg-query >/dev/null 2>&1 || { echo "system-deps: not a Debian system; skipping"; exit 0; }
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" = 0 ]; then sudo=""
elif command -v sudo >/dev/null 2>&1; then sudo="sudo"
else
    echo "system-deps: please install as root:$missing"
    exit 0
fi
echo "system-deps: installing$missing"
$sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1 \
    || echo "system-deps: could not install$missing; Qt may not start"
exit 0
