#!/usr/bin/env bash
# The full check, as CI runs it: typecheck, lint, db/schema.sql against the migrations, the suite on embedded PGlite, the suite on the
# Postgres server (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), then one
# plain closing line with the totals of both runs.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .vitest && mkdir -p .vitest
npm run typecheck
npm run lint
npm run db:check
npm run deps
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.vitest/pglite.json || status=1
CALLQA_TEST_DB=postgres npx vitest run --reporter=default --reporter=json --outputFile.json=.vitest/postgres.json || status=1
node scripts/test-summary.mjs .vitest/pglite.json .vitest/postgres.json || status=1
exit $status
