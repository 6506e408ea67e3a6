#!/usr/bin/env bash
# Renders a report.html to PNG in headless Chromium (Debian's `chromium` package) with no network, and fails if
# the page refers to anything outside itself (script, stylesheet link, remote or file URL) or the browser did not
# produce the image.
#
# Usage: scripts/report/screenshot.sh REPORT.html OUT.png [WIDTH HEIGHT]   (default 1280 x 2400)
#
# Network: the browser runs in an empty network namespace (`unshare -n`, needs root or user namespaces), so a
# page that needed the network would render broken rather than fetch; without unshare it falls back to a dead
# proxy and a resolver that maps every host to nothing. The page itself also forbids every external load with
# its Content-Security-Policy. Install the browser with: apt-get install -y --no-install-recommends chromium
#
# The colour scheme follows COLOR_SCHEME=light|dark (default light), to check both themes.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTH HEIGHT]" >&2
    exit 2
fi
HTML=$(realpath "$1")
OUT=$(realpath -m "$2")
WIDTH=${3:-1280}
HEIGHT=${4:-2400}
SCHEME=${COLOR_SCHEME:-light}
[ -f "$HTML" ] || { echo "$0: $HTML: no such file" >&2; exit 1; }
BROWSER=$(command -v chromium || command -v chromium-browser || true)
[ -n "$BROWSER" ] || { echo "$0: chromium not found (apt-get install -y --no-install-recommends chromium)" >&2; exit 1; }

# Static check first: nothing in the page may point outside it.
if grep -Eiq '<script|<link|<iframe|<object|<embed|(src|href|action)="(https?:|//|file:)|url\((["'"'"']?)(https?:|//|file:)|@import' "$HTML"; then
    echo "$0: $HTML refers to an external resource or has a script:" >&2
    grep -Eion '<script|<link|<iframe|<object|<embed|(src|href|action)="(https?:|//|file:)[^"]*|url\([^)]*\)|@import' "$HTML" | head -5 >&2
    exit 1
fi

PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
rm -f "$OUT"
ARGS=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$PROFILE"
      --proxy-server=127.0.0.1:9 --host-resolver-rules="MAP * ~NOTFOUND" --disable-background-networking
      --disable-component-update --disable-sync --window-size="$WIDTH,$HEIGHT" --screenshot="$OUT")
case "$SCHEME" in
    dark) ARGS+=(--force-dark-mode --blink-settings=preferredColorScheme=0) ;;  # Blink: 0 = dark, 1 = light
    light) ARGS+=(--blink-settings=preferredColorScheme=1) ;;
    *) echo "$0: COLOR_SCHEME must be light or dark" >&2; exit 2 ;;
esac
ARGS+=("file://$HTML")
if unshare -n true 2>/dev/null; then
    unshare -n "$BROWSER" "${ARGS[@]}" >"$PROFILE/log" 2>&1 || true
else
    echo "$0: unshare -n unavailable; relying on the dead proxy and resolver rules" >&2
    "$BROWSER" "${ARGS[@]}" >"$PROFILE/log" 2>&1 || true
fi
if [ ! -s "$OUT" ]; then
    echo "$0: chromium wrote no screenshot; its log:" >&2
    cat "$PROFILE/log" >&2
    exit 1
fi
echo "$OUT"
