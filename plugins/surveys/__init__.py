"""The ``surveys`` plugin: needs surveys with typed questions, skip logic, invitation tokens,
anonymous responses and results with small-cell suppression."""
