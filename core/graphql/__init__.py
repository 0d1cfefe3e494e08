"""The GraphQL kit: context, pagination, languages, errors, and the core's types and queries."""
