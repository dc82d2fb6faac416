"""Things that outlive a run: settings, secrets, history."""
