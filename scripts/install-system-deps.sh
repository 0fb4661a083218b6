#!/usr/bin/env bash
# Debian packages the test suite needs: Redis, PostgreSQL 15, Chromium (browser tests) and
# Pango (PDF rendering). Installs only what is missing, with one `apt-get update` first, so a
# second run takes well under a second. Used by `make test` and `.ci/run`.
#
# Not root, or not Debian/apt: installs nothing, says what is missing, and exits 0 (or 1 with
# --strict), so that the caller decides: `make test` then fails the browser pass loudly
# under CI=true instead of skipping it.
set -euo pipefail

PACKAGES=(
    redis-server          # Celery broker for the worker tests
    postgresql-15         # the PostgreSQL test pass (binaries in /usr/lib/postgresql/15/bin)
    postgresql-client-15  # createdb, psql
    chromium              # Playwright drives Debian's Chromium; never `playwright install`
    fonts-liberation      # a metric-compatible Arial/Helvetica for screenshots and PDFs
    libpango-1.0-0        # WeasyPrint (PDF)
    libpangoft2-1.0-0
    libharfbuzz-subset0   # WeasyPrint font subsetting
    poppler-utils         # pdftotext and pdftoppm: the report tests read the PDF and keep its pages as pictures
)

strict=0
[[ "${1:-}" == "--strict" ]] && strict=1

missing=()
for package in "${PACKAGES[@]}"; do
    # dpkg-query -W -f prints the status; only "install ok installed" counts.
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "system packages: all present"
    exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages: MISSING ${missing[*]}" >&2
    echo "  (not root on a Debian machine, so not installed: install them with your package manager)" >&2
    exit $strict
fi

echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql package starts its own cluster on port 5432 when it can; we never use it.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/pqa-apt-install.log 2>&1 || {
    tail -50 /tmp/pqa-apt-install.log >&2
    echo "system packages: apt-get install failed" >&2
    exit 1
}
echo "system packages: installed"
