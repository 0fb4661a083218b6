#!/usr/bin/env bash
# The security checks of `make test` (scripts/run-tests.sh runs this after the migrations
# check), each run even when an earlier one failed:
#   1. pip-audit -r requirements.txt    known vulnerabilities in the packages we install
#   2. bandit -r pqa evaluations feedback -c pyproject.toml   (settings in [tool.bandit])
#   3. manage.py check --deploy --fail-level WARNING under production settings
#      (DJANGO_DEBUG=0, a random secret key, DJANGO_ALLOWED_HOSTS=pqa.example.org)
# Exit status 0 only if none failed. One line per check closes the output ("security:
# pip-audit: ok", ...); with SECURITY_SUMMARY=FILE they are also written there.
#
# pip-audit asks PyPI for the vulnerabilities of each pinned version. A vulnerability found is
# always a failure. When that data cannot be had (no network, or an index that does not serve
# PyPI's per-version JSON, as on the machines this project is built on), the packages are
# NOT AUDITED: said loudly in the summary, and not a failure, since nothing was found. Any
# other pip-audit error (say, requirements that do not resolve) is a failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
PY="$BIN/python"
SUMMARY="${SECURITY_SUMMARY:-}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

failed=0
lines=()
say() { printf '\n--- %s ---\n' "$*"; }
result() { lines+=("security: $1"); }

# --- 1. pip-audit -----------------------------------------------------------------------
say "pip-audit -r requirements.txt"
if [[ ! -x "$BIN/pip-audit" ]]; then
    echo "pip-audit is not installed in .venv (make deps installs requirements-dev.txt)"
    failed=1; result "pip-audit: FAILED, not installed"
else
    # A hung network must not hang the run: 5 minutes at most (a normal run takes about 30 s).
    timeout 300 "$BIN/pip-audit" -r requirements.txt --progress-spinner off --format json \
        --output "$WORK/audit.json" 2>"$WORK/audit.err"
    rc=$?
    verdict="$("$PY" - "$WORK/audit.json" "$WORK/audit.err" "$rc" <<'PY'
import json
import re
import sys
from pathlib import Path

report, errors, rc = Path(sys.argv[1]), Path(sys.argv[2]).read_text(errors="replace"), int(sys.argv[3])
NETWORK = re.compile(
    r"ConnectionError|NameResolution|Max retries exceeded|timed out|Temporary failure in name resolution|"
    r"Network is unreachable|ServiceError|SSLError|ProxyError",
    re.I,
)
data = None
if report.exists() and report.stat().st_size:
    try:
        data = json.loads(report.read_text())
    except ValueError:
        data = None
if data is None:
    error_lines = [line for line in errors.splitlines() if line.strip() and "is ignored" not in line]
    print("\n".join(error_lines[-15:]), file=sys.stderr)
    if rc == 124 or NETWORK.search(errors):
        print("UNREACHABLE pip-audit could not reach its vulnerability service (network)")
    else:
        print(f"ERROR pip-audit failed (exit {rc}) without a report")
    sys.exit()

dependencies = data.get("dependencies", [])
vulnerable = [d for d in dependencies if d.get("vulns")]
skipped = [d for d in dependencies if d.get("skip_reason")]
audited = len(dependencies) - len(skipped)
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
        aliases = ", ".join(vuln.get("aliases") or [])
        print(f"  {dependency['name']} {dependency['version']}: {vuln['id']} ({aliases}) fixed in {fixes}", file=sys.stderr)
if skipped:
    reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
    print(f"  not audited ({len(skipped)}): {', '.join(d['name'] for d in skipped)}", file=sys.stderr)
    print(f"  reason: {'; '.join(reasons)}", file=sys.stderr)
if vulnerable:
    count = sum(len(d["vulns"]) for d in vulnerable)
    print(f"FOUND {count} known vulnerabilities in {len(vulnerable)} packages (of {audited} audited)")
elif skipped and not audited:
    print(
        f"UNREACHABLE no per-version vulnerability data for any of the {len(skipped)} packages "
        "(the index reached from here does not serve it)"
    )
elif skipped:
    print(f"PARTIAL no known vulnerabilities in {audited} packages; {len(skipped)} NOT AUDITED")
else:
    print(f"OK no known vulnerabilities in {audited} packages")
PY
)"
    kind="${verdict%% *}"
    text="${verdict#* }"
    echo "$text"
    case "$kind" in
        OK) result "pip-audit: ok ($text)" ;;
        PARTIAL) result "pip-audit: ok, but $text" ;;
        UNREACHABLE)
            echo "WARNING: the vulnerability service could not be used from this machine; nothing was found, nothing was audited."
            result "pip-audit: NOT AUDITED ($text)"
            ;;
        FOUND) failed=1; result "pip-audit: FAILED, $text" ;;
        *) failed=1; result "pip-audit: FAILED, ${text:-no verdict}" ;;
    esac
fi

# --- 2. bandit ------------------------------------------------------------------------
say "bandit -r pqa evaluations feedback -c pyproject.toml"
if [[ ! -x "$BIN/bandit" ]]; then
    echo "bandit is not installed in .venv (make deps installs requirements-dev.txt)"
    failed=1; result "bandit: FAILED, not installed"
elif "$BIN/bandit" -r pqa evaluations feedback -c pyproject.toml -q; then
    echo "bandit: no issues"
    result "bandit: ok"
else
    failed=1; result "bandit: FAILED (issues above: fix them, or mark a false alarm '# reason  # nosec BNNN')"
fi

# --- 3. check --deploy ------------------------------------------------------------------
say "manage.py check --deploy --fail-level WARNING (production settings)"
secret="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
# Production settings as deployed: none of the development or test switches.
if env -u DATABASE_URL -u REDIS_URL -u PQA_SSL_REDIRECT -u PQA_SECURE_COOKIES -u PQA_HSTS_SECONDS \
    -u PQA_PLAIN_STATIC -u EMAIL_URL -u EMAIL_BACKEND \
    DJANGO_SETTINGS_MODULE=pqa.settings DJANGO_DEBUG=0 DJANGO_SECRET_KEY="$secret" \
    DJANGO_ALLOWED_HOSTS=pqa.example.org PQA_LOG_LEVEL=WARNING \
    "$PY" manage.py check --deploy --fail-level WARNING; then
    result "check --deploy: ok"
else
    failed=1; result "check --deploy: FAILED (production settings, see above)"
fi

printf '\n'
printf '%s\n' "${lines[@]}"
if [[ -n "$SUMMARY" ]]; then printf '%s\n' "${lines[@]}" >"$SUMMARY"; fi
exit "$failed"
