"""The workshops plugin's GraphQL, one module per concept and role (as the surveys plugin):

- events: ``events`` (types: event, agenda, speakers), ``event_queries`` (root fields of events
  and registrations, and what the read compiler shares with them), ``event_inputs``,
  ``event_mutations``;
- registrations: ``registrations`` (types, attendance), ``registration_mutations``;
- the challenge-card workshop: ``cards`` (types), ``card_queries``, ``card_inputs``,
  ``card_mutations``, ``card_live`` (the subscription);
- ``common``: the error type and codes, who organises, global IDs, texts checked on input.
"""
