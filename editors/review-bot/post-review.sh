#!/usr/bin/env bash
# Posts a `daima review --format github` file as a pull request review with the GitHub CLI.
# Environment: GH_TOKEN, REPOSITORY (owner/name), PULL_NUMBER, REVIEW_FILE.
set -euo pipefail

comments=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1], encoding="utf-8"))["comments"]))' "$REVIEW_FILE")
if [[ "$comments" == "0" ]]; then
  echo "daima review: no findings on the changed lines; nothing to post"
  exit 0
fi
gh api --method POST \
  -H "Accept: application/vnd.github+json" \
  -H "X-GitHub-Api-Version: 2022-11-28" \
  "repos/$REPOSITORY/pulls/$PULL_NUMBER/reviews" \
  --input "$REVIEW_FILE" > /dev/null
echo "daima review: posted $comments comment(s) on $REPOSITORY#$PULL_NUMBER"
