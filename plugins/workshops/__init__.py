"""The workshops plugin: events, agendas and speakers, registrations, iCalendar feeds."""
