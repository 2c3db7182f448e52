#!/usr/bin/env bash
# Install what the offline report page needs: the Jupyter widget manager
# (@jupyter-widgets/html-manager, its non-AMD embed.js bundle and the fonts it
# references) from the npm registry into .cache/html-manager/, copied next to
# every report's index.html so the widgets render from file:// with no network
# and no CDN. Idempotent: does nothing when it is already there.
# (Chromium for the browser test comes from tools/install_host_tools.sh.)
#
# Usage: tools/fetch_widget_manager.sh
# Env:   HTML_MANAGER_VERSION (default below; must satisfy ipywidgets'
#        __html_manager_version__ range, ^1.0.1 for ipywidgets 8.1)
set -euo pipefail

TMP_DIR=""
VERSION="${HTML_MANAGER_VERSION:-1.0.15}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.cache/html-manager"
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "fetch_widget_manager.sh: unknown argument $arg (it takes none)" >&2; exit 2 ;;
  esac
done

fetch_html_manager() {
  if [[ -f "$DEST/dist/embed.js" && "$(cat "$DEST/VERSION" 2>/dev/null)" == "$VERSION" ]]; then
    echo "widget manager: @jupyter-widgets/html-manager@$VERSION already in $DEST"
    return
  fi
  if ! command -v npm > /dev/null; then
    echo "fetch_widget_manager.sh: npm is needed to fetch @jupyter-widgets/html-manager" \
         "(Debian: apt-get install npm)" >&2
    exit 1
  fi
  mkdir -p "$ROOT/.cache"
  TMP_DIR="$(mktemp -d "$ROOT/.cache/.html-manager.XXXXXX")"
  trap 'rm -rf "$TMP_DIR"' EXIT
  local tmp="$TMP_DIR"
  echo "widget manager: npm pack @jupyter-widgets/html-manager@$VERSION"
  (cd "$tmp" && npm pack --silent "@jupyter-widgets/html-manager@$VERSION" > /dev/null)
  tar -xzf "$tmp"/jupyter-widgets-html-manager-*.tgz -C "$tmp"
  local pkg="$tmp/package"
  local got
  got="$(node -p "require('$pkg/package.json').version")"
  if [[ "$got" != "$VERSION" ]]; then
    echo "fetch_widget_manager.sh: asked for $VERSION, npm gave $got" >&2
    exit 1
  fi
  mkdir -p "$tmp/out/dist"
  # embed.js is the standalone bundle (controls included, no require.js);
  # the font files are Font Awesome, loaded relative to embed.js.
  cp "$pkg/dist/embed.js" "$pkg/dist/embed.js.LICENSE.txt" "$tmp/out/dist/"
  find "$pkg/dist" -maxdepth 1 -type f \
    \( -name '*.woff2' -o -name '*.woff' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) \
    -exec cp {} "$tmp/out/dist/" \;
  node -p "const p=require('$pkg/package.json'); p.name+'@'+p.version+' '+p.license" \
    > "$tmp/out/dist/PACKAGE.txt"
  echo "$VERSION" > "$tmp/out/VERSION"
  rm -rf "$DEST.old"
  [[ -d "$DEST" ]] && mv "$DEST" "$DEST.old"
  mv "$tmp/out" "$DEST"
  rm -rf "$DEST.old"
  echo "widget manager: installed $(cat "$DEST/dist/PACKAGE.txt") into $DEST"
}

fetch_html_manager
