#!/usr/bin/env bash
# Runs `daima review` for the action. Inputs come from the environment (BASE, HEAD, MODEL, REMOTE_URL,
# REMOTE_MODEL, THINKING, MESSAGES, FAIL_ON, SARIF_FILE); writes review-file and exit-code to
# $GITHUB_OUTPUT. The exit code is reported rather than returned so that the review is posted first.
set -uo pipefail

out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
review_file="$out_dir/daima-review.json"
rules=(review --repo . --base "$BASE" --head "${HEAD:-HEAD}" --messages "${MESSAGES:-en}")
model=(--model "${MODEL:-none}" --thinking "${THINKING:-off}")
if [[ -n "${REMOTE_URL:-}" ]]; then
  model+=(--remote-url "$REMOTE_URL" --remote-model "${REMOTE_MODEL:-}")
fi

errors="$out_dir/daima-review.stderr"
daima "${rules[@]}" "${model[@]}" --format github --output "$review_file" --fail-on "${FAIL_ON:-never}" 2> "$errors"
code=$?
cat "$errors" >&2
if [[ $code -ge 2 ]]; then
  # The last line says why (a missing base commit says how to fetch it); an annotation shows it on the run.
  reason=$(tail -n 1 "$errors")
  echo "::error title=daima review failed::${reason:-exit code $code}"
  exit "$code"
fi
# The SARIF file and the log summary hold the rule findings (no second model run).
if [[ -n "${SARIF_FILE:-}" ]]; then
  daima "${rules[@]}" --format sarif --output "$SARIF_FILE"
fi
daima "${rules[@]}" --format text || true

echo "review-file=$review_file" >> "${GITHUB_OUTPUT:-/dev/null}"
echo "exit-code=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
