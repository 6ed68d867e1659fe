"""Sound: effects and music laid on the timeline, and the mix with the voice."""
