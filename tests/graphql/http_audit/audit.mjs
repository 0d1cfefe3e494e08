// Runs graphql-http's auditServer against the URL given and prints every result as JSON.
import { auditServer } from "graphql-http";

const results = await auditServer({ url: process.argv[2] });
console.log(
  JSON.stringify(
    results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason })),
  ),
);
