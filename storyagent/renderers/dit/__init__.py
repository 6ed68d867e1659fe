"""The dit renderer: a video Diffusion Transformer through diffusers, from local weights.
`checkpoints` finds and checks a model folder, `prompts` writes what the model is asked,
`renderer` runs the pipeline; `options` is what a user sets."""
