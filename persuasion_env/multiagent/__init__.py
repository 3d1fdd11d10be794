"""PettingZoo multi-agent versions of the persuasion environments."""
