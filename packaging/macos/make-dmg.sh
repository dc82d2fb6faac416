#!/usr/bin/env bash
# Signs Dictate.app with the microphone entitlement and the hardened runtime, then wraps it
# in a .dmg with an Applications link. Ad hoc by default; SIGN_IDENTITY may name a Developer ID
# identity in the keychain (notarizing that build with `xcrun notarytool` is a further step).
# Usage: packaging/macos/make-dmg.sh VERSION   (after `python packaging/build.py` on macOS)
set -euo pipefail
cd "$(dirname "$0")/../.."
version="$1"
app="dist/bundle/Dictate.app"
codesign --force --deep --options runtime --timestamp=none \
  --entitlements packaging/macos/entitlements.plist --sign "${SIGN_IDENTITY:--}" "$app"
codesign --verify --deep --strict "$app"
"$app/Contents/MacOS/dictate" --self-check  # still runs under the hardened runtime
/usr/libexec/PlistBuddy -c "Print :NSMicrophoneUsageDescription" "$app/Contents/Info.plist"
staging="$(mktemp -d)"
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "Dictate" -srcfolder "$staging" -ov -format UDZO \
  "dist/Dictate-${version}-macos-$(uname -m).dmg"
