#!/usr/bin/env bash
# Regenerates src/Teehouse.Lite/openapi.json from a running app (the test that otherwise checks it against the served
# document). Commit the result together with the route change that caused it.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Teehouse.Lite.Tests -v:q -nologo
UPDATE_OPENAPI=1 dotnet test tests/Teehouse.Lite.Tests --no-build -nologo \
  --filter "FullyQualifiedName~OpenApiDocumentTests.The_served_document_is_the_committed_one"
git --no-pager diff --stat -- src/Teehouse.Lite/openapi.json
