#!/usr/bin/env bash
# Set up everything Nông Số needs on a fresh Debian machine (idempotent).
#   scripts/setup.sh          Python env (uv + lock), front-end libraries
#   scripts/setup.sh --test   also the Debian packages the tests need (Chromium, fonts)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1;32m==>\033[0m %s\n' "$*"; }

apt_missing=()
need_deb() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }
need_deb fonts-dejavu-core          # PDF exports with Vietnamese diacritics
need_deb mosquitto                  # the MQTT broker (sensor ingestion; its tests start their own)
if [ "$want_test" = 1 ]; then
  need_deb chromium                 # browser tests (headless)
  need_deb mosquitto-clients        # MQTT tests publish with the real broker's tools too
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "apt-get install ${apt_missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  aptlog=$(mktemp)
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends "${apt_missing[@]}"; } >"$aptlog" 2>&1; then
    cat "$aptlog"; echo "apt-get install failed" >&2; exit 1
  fi
fi

if ! command -v uv >/dev/null 2>&1; then
  say "pip install uv"
  python3 -m pip install --quiet uv
fi
say "uv sync (pyproject.toml + uv.lock)"
uv sync --frozen --quiet

if ! command -v npm >/dev/null 2>&1; then
  say "apt-get install nodejs npm"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nodejs npm
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (package.json + package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "copy front-end libraries into src/nongso/web/static/vendor"
vendor=src/nongso/web/static/vendor
rm -rf "$vendor"; mkdir -p "$vendor"/{leaflet,leaflet.markercluster,echarts,zxing-wasm,swagger-ui,pmtiles,protomaps-leaflet}
cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
      node_modules/leaflet/dist/images "$vendor/leaflet/"
cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
   node_modules/leaflet.markercluster/dist/MarkerCluster.css \
   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css "$vendor/leaflet.markercluster/"
cp node_modules/echarts/dist/echarts.min.js "$vendor/echarts/"
# The offline vector basemap (a PMTiles file the province hosts, drawn on canvas).
cp node_modules/pmtiles/dist/pmtiles.js "$vendor/pmtiles/"
cp node_modules/protomaps-leaflet/dist/protomaps-leaflet.js "$vendor/protomaps-leaflet/"
# Barcode and QR reading in the browser (ZXing-C++ as WebAssembly), served from here: the
# page points the library at /static/vendor/zxing-wasm/zxing_reader.wasm, never a CDN.
cp node_modules/zxing-wasm/dist/iife/reader/index.js "$vendor/zxing-wasm/zxing-reader.js"
cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm "$vendor/zxing-wasm/"
# The API documentation page (/api/v1/docs) without a CDN.
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
   "$vendor/swagger-ui/"
say "ready"
