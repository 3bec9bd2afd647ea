//! Analytic cost of one inference, counted from the architecture the way PyTorch's
//! `torch.utils.flop_counter` counts (docs/reference.md §3): multiply-accumulates of
//! convolutions, linear layers and matrix products only; norms, activations,
//! softmax and pooling are not counted. FLOPs = 2 × MACs.

use crate::config::{
    DenoiserConfig, LatentEncoderConfig, LatentEncoderKind, ModelConfig, PriorMode, TransformerConfig,
};

/// Multiply-accumulates of one inference, per network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Macs {
    /// `net_g` once.
    pub net_g: f64,
    /// `net_le_dm` once.
    pub net_le_dm: f64,
    /// `net_d`, all T calls together.
    pub net_d: f64,
    /// `net_le` once (training only, not part of inference).
    pub net_le: f64,
}

impl Macs {
    /// Inference total: `net_g + net_le_dm + T × net_d`.
    pub fn inference(&self) -> f64 {
        self.net_g + self.net_le_dm + self.net_d
    }
    /// FLOPs (2 × MACs) of one inference.
    pub fn inference_flops(&self) -> f64 {
        2.0 * self.inference()
    }
}

fn conv(pixels: f64, cin: f64, cout: f64, k: f64, groups: f64) -> f64 {
    pixels * cout * (cin / groups) * k * k
}

/// MACs of one Transformer level (HIM with `n` prior tokens if any, then blocks).
fn level(
    t: &TransformerConfig,
    pixels: f64,
    c: usize,
    heads: usize,
    blocks: usize,
    him_tokens: Option<usize>,
    modulated: bool,
) -> f64 {
    let cf = c as f64;
    let pc = t.prior_channels() as f64;
    let g = t.ffn_hidden(c) as f64;
    let mut m = 0.0;
    if let Some(n) = him_tokens {
        let n = n as f64;
        m += pixels * cf * cf; // q
        m += n * pc * 2.0 * cf; // kv
        m += 2.0 * pixels * n * cf; // q k^T and attn v
        m += pixels * cf * cf; // proj
    }
    let per_block = conv(pixels, cf, 3.0 * cf, 1.0, 1.0)
        + conv(pixels, 3.0 * cf, 3.0 * cf, 3.0, 3.0 * cf)
        + 2.0 * pixels * cf * cf / heads as f64
        + conv(pixels, cf, cf, 1.0, 1.0)
        + conv(pixels, cf, 2.0 * g, 1.0, 1.0)
        + conv(pixels, 2.0 * g, 2.0 * g, 3.0, 2.0 * g)
        + conv(pixels, g, cf, 1.0, 1.0)
        + if modulated { 4.0 * pc * cf } else { 0.0 };
    m + blocks as f64 * per_block
}

/// MACs of `net_g` on a `h × w` image (h, w multiples of 8), batch 1.
pub fn transformer_macs(t: &TransformerConfig, h: usize, w: usize) -> f64 {
    let p1 = h as f64 * w as f64;
    let (p2, p3, p4) = (p1 / 4.0, p1 / 16.0, p1 / 64.0);
    let c = t.dim;
    let cf = c as f64;
    let pc = t.prior_channels() as f64;
    let g = t.group;
    let [n1, n2, n3, n4] = t.num_blocks;
    let [h1, h2, h3, h4] = t.heads;
    let (tok1, tok2) = match t.prior_mode {
        PriorMode::None => (None, None),
        PriorMode::SingleScale => (Some(g * g), Some(g * g)),
        PriorMode::Hierarchical => (Some(g * g), Some((g / 2) * (g / 2))),
    };
    let modulated = t.prior_mode != PriorMode::None;
    let mut m = 0.0;
    if t.prior_mode == PriorMode::Hierarchical {
        let (a, b) = ((g * g) as f64, ((g / 2) * (g / 2)) as f64);
        m += pc * a * b + b * pc * pc; // down_1
        m += pc * b + pc * pc; // down_2
    }
    m += conv(p1, t.inp_channels as f64, cf, 3.0, 1.0);
    m += level(t, p1, c, h1, n1, tok1, false);
    m += conv(p1, cf, cf / 2.0, 3.0, 1.0);
    m += level(t, p2, 2 * c, h2, n2, tok2, false);
    m += conv(p2, 2.0 * cf, cf, 3.0, 1.0);
    m += level(t, p3, 4 * c, h3, n3, tok2, false);
    m += conv(p3, 4.0 * cf, 2.0 * cf, 3.0, 1.0);
    m += level(t, p4, 8 * c, h4, n4, None, modulated);
    m += conv(p4, 8.0 * cf, 16.0 * cf, 3.0, 1.0); // up4_3
    m += conv(p3, 8.0 * cf, 4.0 * cf, 1.0, 1.0);
    m += level(t, p3, 4 * c, h3, n3, tok2, false);
    m += conv(p3, 4.0 * cf, 8.0 * cf, 3.0, 1.0); // up3_2
    m += conv(p2, 4.0 * cf, 2.0 * cf, 1.0, 1.0);
    m += level(t, p2, 2 * c, h2, n2, tok2, false);
    m += conv(p2, 2.0 * cf, 4.0 * cf, 3.0, 1.0); // up2_1
    m += level(t, p1, 2 * c, h1, n1, tok1, false);
    m += level(t, p1, 2 * c, h1, t.num_refinement_blocks, tok1, false);
    m += conv(p1, 2.0 * cf, t.out_channels as f64, 3.0, 1.0);
    m
}

fn mixer_macs(n: usize, d: usize, pe: f64, ce: f64) -> f64 {
    let (nf, df) = (n as f64, d as f64);
    let hn = (nf * pe).floor();
    let hd = (df * ce).floor();
    df * (nf * hn + hn * nf) + nf * (df * hd + hd * df)
}

/// MACs of a latent encoder on a `h × w` image.
pub fn latent_encoder_macs(le: &LatentEncoderConfig, h: usize, w: usize) -> f64 {
    let p = h as f64 * w as f64 / 16.0;
    let e = le.embed_dim as f64;
    let mut m = conv(p, 16.0 * le.in_chans as f64, e, 3.0, 1.0);
    m += le.block_num as f64 * 2.0 * conv(p, e, e, 3.0, 1.0);
    let d = match le.kind {
        LatentEncoderKind::Gelu => {
            m += conv(p, e, e, 3.0, 1.0);
            le.embed_dim
        }
        LatentEncoderKind::Lrelu => {
            m += conv(p, e, 2.0 * e, 3.0, 1.0)
                + conv(p, 2.0 * e, 2.0 * e, 3.0, 1.0)
                + conv(p, 2.0 * e, 4.0 * e, 3.0, 1.0);
            4 * le.embed_dim
        }
    };
    let n = le.group * le.group;
    m += mixer_macs(n, d, le.patch_expansion, le.channel_expansion);
    m += n as f64 * d as f64 * 4.0 * e;
    m
}

/// MACs of one denoiser call.
pub fn denoiser_macs(d: &DenoiserConfig, tokens: usize) -> f64 {
    let n = tokens as f64;
    match *d {
        DenoiserConfig::Mixer {
            in_channel,
            out_channel,
            inner_channel,
            block_num,
            patch_expansion,
            channel_expansion,
            ..
        } => {
            n * 3.0 * in_channel as f64 * inner_channel as f64
                + block_num.saturating_sub(2) as f64
                    * mixer_macs(tokens, inner_channel, patch_expansion, channel_expansion)
                + n * inner_channel as f64 * out_channel as f64
        }
        DenoiserConfig::Simple { n_feats, n_denoise_res, .. } => {
            let c = 4.0 * n_feats as f64;
            n * (2.0 * c + 1.0) * c + n_denoise_res as f64 * n * c * c
        }
    }
}

impl ModelConfig {
    /// Analytic MACs of one inference on an `h × w` image (batch 1).
    pub fn macs(&self, h: usize, w: usize) -> Macs {
        let has_prior = self.transformer.prior_mode != PriorMode::None;
        let tokens = self.transformer.group * self.transformer.group;
        Macs {
            net_g: transformer_macs(&self.transformer, h, w),
            net_le_dm: if has_prior { latent_encoder_macs(&self.latent_encoder_dm, h, w) } else { 0.0 },
            net_d: if has_prior && self.diffusion.enabled {
                self.diffusion.timesteps as f64 * denoiser_macs(&self.denoiser, tokens)
            } else {
                0.0
            },
            net_le: if has_prior { latent_encoder_macs(&self.latent_encoder, h, w) } else { 0.0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_macs_match_reference_counter() {
        // Reference 3.5 (torch.utils.flop_counter at 256x256): net_g 140.2 G,
        // net_le_dm 2.08 G, net_d 0.042 G per call, LE 2.19 G, total ~142.6 GMAC.
        let m = ModelConfig::gopro().macs(256, 256);
        assert!((m.net_g / 1e9 - 140.2).abs() < 0.05, "net_g {}", m.net_g / 1e9);
        assert!((m.net_le_dm / 1e9 - 2.08).abs() < 0.005, "le_dm {}", m.net_le_dm / 1e9);
        assert!((m.net_d / 8.0 / 1e9 - 0.042).abs() < 0.0005, "net_d {}", m.net_d / 8e9);
        assert!((m.net_le / 1e9 - 2.19).abs() < 0.005, "le {}", m.net_le / 1e9);
        assert!((m.inference_flops() / 1e9 - 285.2).abs() < 0.2, "flops {}", m.inference_flops() / 1e9);
    }

    #[test]
    fn huge_sizes_do_not_wrap() {
        // 2^32 x 2^32 pixels overflow a 64-bit pixel count; the count is in f64.
        let small = ModelConfig::gopro().macs(256, 256).inference();
        let huge = ModelConfig::gopro().macs(1 << 32, 1 << 32).inference();
        let ratio = huge / small / 2f64.powi(48);
        assert!((ratio - 1.0).abs() < 0.01, "{ratio}");
    }
}
