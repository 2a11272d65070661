"""Question answering over the index: retrieval, reading, list answers, follow-ups, and the `qa` command."""
