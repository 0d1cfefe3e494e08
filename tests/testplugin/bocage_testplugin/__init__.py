"""A third-party-style Bocage plugin: a table, a migration branch, a GraphQL type, a route."""
