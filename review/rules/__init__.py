"""Review rules kept as data: `rules.json` (ids, severities, messages, fixes) and one `.scm` per language."""
