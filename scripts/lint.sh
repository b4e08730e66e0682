#!/usr/bin/env bash
# make lint: the checks pre-commit runs (.pre-commit-config.yaml), in check-only mode, on the
# whole tree, without git hooks. Every step runs; the exit status is non-zero if any failed.
# Usage: scripts/lint.sh [STEP...]   steps: ruff format djlint django-upgrade mypy (default: all)
# Expects the virtualenv from `uv sync` (make lint runs it first).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

DJANGO_TARGET=5.2

# Python files of the project: tracked or new, not ignored, still present.
python_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard -- '*.py' \
            | while IFS= read -r -d '' f; do [[ -f "$f" ]] && printf '%s\0' "$f"; done
    else
        find apps bench config scripts tests manage.py -name '*.py' -print0
    fi
}

step_ruff() { .venv/bin/ruff check .; }
step_format() { .venv/bin/ruff format --check .; }
step_djlint() { .venv/bin/djlint templates --lint; }
step_django_upgrade() {
    python_files | xargs -0 .venv/bin/django-upgrade --target-version "$DJANGO_TARGET" --check
}
# django-stubs imports config.settings, which needs these to be set; nothing connects to them.
step_mypy() {
    SECRET_KEY="${SECRET_KEY:-mypy-not-a-secret}" \
        DATABASE_URL="${DATABASE_URL:-postgres://mypy@127.0.0.1:9/mypy}" \
        .venv/bin/mypy
}

steps=("$@")
((${#steps[@]})) || steps=(ruff format djlint django-upgrade mypy)

failed=()
for step in "${steps[@]}"; do
    case "$step" in
        ruff) fn=step_ruff ;;
        format) fn=step_format ;;
        djlint) fn=step_djlint ;;
        django-upgrade) fn=step_django_upgrade ;;
        mypy) fn=step_mypy ;;
        *) echo "lint.sh: unknown step '$step'" >&2; exit 2 ;;
    esac
    printf '\n== %s\n' "$step" >&2
    "$fn" || failed+=("$step")
done

echo >&2
if ((${#failed[@]})); then
    echo "lint: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "lint: all checks passed (${steps[*]})" >&2
