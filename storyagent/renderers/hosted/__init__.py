"""Hosted generators: Sora, Veo and fal's video models render the film from the pre-vis (see `base`)."""
