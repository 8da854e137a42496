#!/usr/bin/env bash
# Posts a `daima review --format github` file as a pull request review with the GitHub CLI.
# Environment: GH_TOKEN, REPOSITORY (owner/name), PULL_NUMBER, REVIEW_FILE; GITHUB_STEP_SUMMARY.
# A pull request from a fork gets a read-only token, so the API answers 403: the review then goes to the
# job summary (and any SARIF upload), with a warning, instead of failing the job.
set -euo pipefail

read -r comments unreviewed < <(python3 -c '
import json, sys
review = json.load(open(sys.argv[1], encoding="utf-8"))
print(len(review["comments"]), int("could not read" in review["body"]))' "$REVIEW_FILE")
if [[ "$comments" == "0" && "$unreviewed" == "0" ]]; then
  echo "daima review: no findings on the changed lines; nothing to post"
  exit 0
fi
if answer=$(gh api --method POST \
  -H "Accept: application/vnd.github+json" \
  -H "X-GitHub-Api-Version: 2022-11-28" \
  "repos/$REPOSITORY/pulls/$PULL_NUMBER/reviews" \
  --input "$REVIEW_FILE" 2>&1 > /dev/null); then
  echo "daima review: posted $comments comment(s) on $REPOSITORY#$PULL_NUMBER"
  exit 0
fi
echo "$answer" >&2
echo "::warning title=daima review not posted::The review could not be posted on $REPOSITORY#$PULL_NUMBER (a pull request from a fork gets a read-only token). The findings are in this job's summary."
# shellcheck disable=SC2016  # Python, whose backquotes are Markdown
python3 -c '
import json, sys
review = json.load(open(sys.argv[1], encoding="utf-8"))
lines = ["## daima review", "", review["body"], ""]
for comment in review["comments"]:
    path, first, last = comment["path"], comment.get("start_line", comment["line"]), comment["line"]
    where = f"{path}:{first}" + (f"-{last}" if first != last else "")
    lines += ["### `" + where + "`", "", comment["body"], ""]
print("\n".join(lines))' "$REVIEW_FILE" >> "${GITHUB_STEP_SUMMARY:-/dev/stdout}"
