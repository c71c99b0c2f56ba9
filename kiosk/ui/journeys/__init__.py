"""Journey plumbing: the bridge that draws controller states, the journey screen base,
shared widgets and the tour samples (the journey screens themselves are in ui/screens/)."""
