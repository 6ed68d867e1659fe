"""Tiny randomly initialised video pipelines, built in code and saved like a
downloaded checkpoint: the same diffusers classes a user loads, small enough to
run on a CPU in a fraction of a second. Nothing comes from the hub: the
tokenizer is ByT5's (bytes, no vocabulary file) and the text encoders are tiny
T5/UMT5 configs. Sizes follow diffusers' own fast tests. `BOARD` is a
two-shot storyboard to render with them: one shot per character."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import (
    AutoencoderKLCogVideoX,
    AutoencoderKLLTXVideo,
    AutoencoderKLWan,
    CogVideoXPipeline,
    CogVideoXTransformer3DModel,
    DDIMScheduler,
    FlowMatchEulerDiscreteScheduler,
    LTXConditionPipeline,
    LTXVideoTransformer3DModel,
    WanImageToVideoPipeline,
    WanPipeline,
    WanTransformer3DModel,
    WanVACEPipeline,
    WanVACETransformer3DModel,
)
from transformers import ByT5Tokenizer, T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

BOARD = {
    "title": "Ice Friends",
    "style": "soft watercolour storybook",
    "characters": [
        {"id": "bear", "name": "Nanuk", "description": "a young polar bear with a blue scarf",
         "visual": {"keywords": ["polar bear", "bear"]}, "seed": 11},
        {"id": "penguin", "name": "Pip", "description": "a small emperor penguin chick",
         "visual": {"keywords": ["penguin"]}, "seed": 22},
    ],
    "locations": [{"id": "ice", "name": "the ice shelf", "biome": "sea-ice", "time_of_day": "dusk",
                   "weather": "snow"}],
    "scenes": [{"id": "meet", "location": "ice", "shots": [
        {"id": "bear-walks", "characters": [{"character": "bear", "action": "walks across the ice", "motion": "walk"}],
         "camera": {"size": "wide", "angle": "birds-eye", "movement": "tracking", "duration": 1.0}},
        {"id": "penguin-waves", "characters": [{"character": "penguin", "action": "waves a flipper", "motion": "wave"}],
         "camera": {"size": "close-up", "movement": "dolly-in", "duration": 1.0}},
    ]}],
}

TEXT_DIM = 32
BYT5_VOCAB = 384  # 256 bytes + 3 special + 125 extra ids


def _text_encoder(model: type, config: type) -> torch.nn.Module:
    torch.manual_seed(0)
    return model(config(vocab_size=BYT5_VOCAB, d_model=TEXT_DIM, d_ff=37, d_kv=8, num_heads=4, num_layers=2,
                        relative_attention_num_buckets=8))


def _wan_vae() -> AutoencoderKLWan:
    torch.manual_seed(0)
    return AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                            temperal_downsample=[False, True, True])


WAN_TRANSFORMER = {"patch_size": (1, 2, 2), "num_attention_heads": 2, "attention_head_dim": 12, "in_channels": 16,
                   "out_channels": 16, "text_dim": TEXT_DIM, "freq_dim": 256, "ffn_dim": 32, "num_layers": 2,
                   "cross_attn_norm": True, "qk_norm": "rms_norm_across_heads", "rope_max_seq_len": 32}


def wan_t2v() -> WanPipeline:
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(**WAN_TRANSFORMER)
    return WanPipeline(tokenizer=ByT5Tokenizer(), text_encoder=_text_encoder(UMT5EncoderModel, UMT5Config),
                       vae=_wan_vae(), scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0), transformer=transformer)


def wan_vace() -> WanVACEPipeline:
    torch.manual_seed(0)
    transformer = WanVACETransformer3DModel(**{**WAN_TRANSFORMER, "num_layers": 3}, vace_layers=[0, 2],
                                            vace_in_channels=96)
    return WanVACEPipeline(tokenizer=ByT5Tokenizer(), text_encoder=_text_encoder(UMT5EncoderModel, UMT5Config),
                           vae=_wan_vae(), scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
                           transformer=transformer)


def wan_i2v() -> WanImageToVideoPipeline:
    """Wan 2.2-style image-to-video: the first frame's latents and mask ride along the noise (16+16+4 channels)."""
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(**{**WAN_TRANSFORMER, "in_channels": 36})
    return WanImageToVideoPipeline(tokenizer=ByT5Tokenizer(), text_encoder=_text_encoder(UMT5EncoderModel, UMT5Config),
                                   vae=_wan_vae(), scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
                                   image_processor=None, image_encoder=None, transformer=transformer)


def ltx_condition() -> LTXConditionPipeline:
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(in_channels=8, out_channels=8, patch_size=1, patch_size_t=1,
                                             num_attention_heads=4, attention_head_dim=8,
                                             cross_attention_dim=TEXT_DIM, num_layers=1, caption_channels=TEXT_DIM)
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False), decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4, upsample_factor=(1,) * 4, timestep_conditioning=False, patch_size=1,
        patch_size_t=1, encoder_causal=True, decoder_causal=False,
    )
    return LTXConditionPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae,
                                text_encoder=_text_encoder(T5EncoderModel, T5Config), tokenizer=ByT5Tokenizer(),
                                transformer=transformer)


def cogvideox() -> CogVideoXPipeline:
    """CogVideoX 1.0 renders only its trained size and length: here 64x48 and 9 frames."""
    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4,
                                              time_embed_dim=2, text_embed_dim=TEXT_DIM, num_layers=1, sample_width=8,
                                              sample_height=6, sample_frames=9, patch_size=2,
                                              temporal_compression_ratio=4, max_text_seq_length=16)
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(block_out_channels=(8, 8, 8, 8), latent_channels=4, layers_per_block=1,
                                 norm_num_groups=2, temporal_compression_ratio=4)
    return CogVideoXPipeline(tokenizer=ByT5Tokenizer(), text_encoder=_text_encoder(T5EncoderModel, T5Config), vae=vae,
                             transformer=transformer, scheduler=DDIMScheduler())


BUILDERS = {"wan-t2v": wan_t2v, "wan-vace": wan_vace, "wan-i2v": wan_i2v, "ltx": ltx_condition, "cogvideox": cogvideox}


def save_all(folder: Path) -> dict[str, Path]:
    """Every tiny pipeline saved under folder/<name>, as `save_pretrained` writes a checkpoint."""
    paths = {}
    for name, build in BUILDERS.items():
        paths[name] = folder / name
        build().save_pretrained(paths[name])
    return paths
