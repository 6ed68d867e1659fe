"""The storyboard studio: a local web app over the storyboard, its lint and the incremental render.

`server` is the Starlette app (`create_app`), `renders` runs renders in a background thread and keeps
their progress events for every page that listens, `static/` is the page itself (plain ES modules,
no build step). `storyagent studio` starts it on 127.0.0.1 with a random token."""

from storyagent.studio.server import create_app

__all__ = ["create_app"]
