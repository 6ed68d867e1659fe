"""Render: each shot to frames by a renderer plug-in. `base` holds the job and the
protocol; each backend is a folder: `animatic/` (the default, CPU vector pre-vis), `dit/`
(video diffusion through diffusers)."""
