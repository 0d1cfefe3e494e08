"""The citizens' voice: comments, supports, moderation and e-mail digests on what a territory
discusses (projects, and any plugin's objects declared with ``bocage_discussion_targets``)."""
