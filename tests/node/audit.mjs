// Runs every graphql-http server audit against URL (argv[2]) and prints one JSON array:
// [{id, name, status, reason}] — status is "ok", "warn" or "error".
// Used by tests/security/test_graphql_http_audit.py; `npm ci` in this folder installs graphql-http.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const results = [];
for (const audit of serverAudits({ url })) {
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    result = { id: audit.id, name: audit.name, status: 'error', reason: String(err) };
  }
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}
process.stdout.write(JSON.stringify(results));
