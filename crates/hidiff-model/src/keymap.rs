//! The one table that maps official state-dict keys to our module paths and back.
//!
//! Our field names equal the PyTorch module names wherever Rust allows; the rules
//! below cover what remains: `nn.Sequential` indices (whose activations hold no
//! weights) and the two denoiser classes living in one Rust struct.
//!
//! | network | official key | our path |
//! |---|---|---|
//! | net_g | `down_{1,2}.1.*` / `down_{1,2}.3.*` | `down_{1,2}.token.*` / `.channel.*` |
//! | net_g | `{down1_2,...,up2_1}.body.0.*` | `{...}.conv.*` |
//! | LE | `conv1.0.*` | `conv1.*` |
//! | LE | `blocks.k.0.*` / `blocks.k.2.*` | `blocks.k.conv_a.*` / `.conv_b.*` |
//! | LE (gelu) | `conv2.*` | `conv2.0.*` |
//! | LE (lrelu) | `conv2.{0,2,4}.*` | `conv2.{0,1,2}.*` |
//! | LE, denoiser | `*_mixer.{0,2}.*` | `*_mixer.{fc1,fc2}.*` |
//! | LE | `end.0.*` | `end.*` |
//! | denoising | `X` | `mixer.X`, with `first_layer.0`/`final_layer.0` → `first_layer`/`final_layer`, `blocks.k.0.*` → `blocks.k.*` |
//! | simple_denoise | `resmlp.0.*` / `resmlp.k.resmlp.0.*` | `simple.first.*` / `simple.layers.(k-2).*` |

use crate::config::{LatentEncoderKind, ModelConfig};

/// The four networks of the official code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Network {
    /// `net_g`, the Transformer.
    G,
    /// `net_le`, the stage-1 latent encoder.
    Le,
    /// `net_le_dm`, the stage-2 latent encoder.
    LeDm,
    /// `net_d`, the denoiser.
    D,
}

impl Network {
    /// All four, in checkpoint order.
    pub const ALL: [Network; 4] = [Network::G, Network::Le, Network::LeDm, Network::D];

    /// The official name (`net_g`, ...), also the file stem and the safetensors prefix.
    pub fn name(self) -> &'static str {
        match self {
            Network::G => "net_g",
            Network::Le => "net_le",
            Network::LeDm => "net_le_dm",
            Network::D => "net_d",
        }
    }

    /// Parses an official name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.name() == name)
    }
}

/// The structural facts the mapping depends on.
#[derive(Debug, Clone, Copy)]
pub struct KeyStyle {
    le_kind: LatentEncoderKind,
    le_dm_kind: LatentEncoderKind,
    simple_denoiser: bool,
}

impl KeyStyle {
    /// The key style of a configuration.
    pub fn of(cfg: &ModelConfig) -> Self {
        Self {
            le_kind: cfg.latent_encoder.kind,
            le_dm_kind: cfg.latent_encoder_dm.kind,
            simple_denoiser: matches!(cfg.denoiser, crate::config::DenoiserConfig::Simple { .. }),
        }
    }

    /// Official key → our path (relative to the network).
    pub fn to_ours(&self, net: Network, key: &str) -> String {
        let mut s: Vec<String> = key.split('.').map(str::to_string).collect();
        match net {
            Network::G => {
                if s.len() >= 3 && (s[0] == "down_1" || s[0] == "down_2") {
                    match s[1].as_str() {
                        "1" => s[1] = "token".into(),
                        "3" => s[1] = "channel".into(),
                        _ => {}
                    }
                }
                if s.len() >= 4 && is_sampler(&s[0]) && s[1] == "body" && s[2] == "0" {
                    s.splice(1..3, ["conv".to_string()]);
                }
            }
            Network::Le | Network::LeDm => {
                let kind = if net == Network::Le { self.le_kind } else { self.le_dm_kind };
                le_to_ours(&mut s, kind);
            }
            Network::D => {
                if self.simple_denoiser {
                    if s.len() == 3 && s[0] == "resmlp" && s[1] == "0" {
                        s = vec!["simple".into(), "first".into(), s[2].clone()];
                    } else if s.len() == 5 && s[0] == "resmlp" && s[2] == "resmlp" && s[3] == "0" {
                        if let Some(k) = s[1].parse::<usize>().ok().filter(|k| *k >= 2) {
                            s = vec!["simple".into(), "layers".into(), (k - 2).to_string(), s[4].clone()];
                        }
                    }
                } else {
                    if s.len() >= 3 && (s[0] == "first_layer" || s[0] == "final_layer") && s[1] == "0" {
                        s.remove(1);
                    }
                    if s.len() >= 4 && s[0] == "blocks" && s[2] == "0" {
                        s.remove(2);
                        mixer_to_ours(&mut s[2..]);
                    }
                    s.insert(0, "mixer".into());
                }
            }
        }
        s.join(".")
    }

    /// Our path (relative to the network) → official key; the inverse of [`Self::to_ours`].
    pub fn to_official(&self, net: Network, path: &str) -> String {
        let mut s: Vec<String> = path.split('.').map(str::to_string).collect();
        match net {
            Network::G => {
                if s.len() >= 3 && (s[0] == "down_1" || s[0] == "down_2") {
                    match s[1].as_str() {
                        "token" => s[1] = "1".into(),
                        "channel" => s[1] = "3".into(),
                        _ => {}
                    }
                }
                if s.len() >= 3 && is_sampler(&s[0]) && s[1] == "conv" {
                    s.splice(1..2, ["body".to_string(), "0".to_string()]);
                }
            }
            Network::Le | Network::LeDm => {
                let kind = if net == Network::Le { self.le_kind } else { self.le_dm_kind };
                le_to_official(&mut s, kind);
            }
            Network::D => {
                if s.first().map(String::as_str) == Some("simple") {
                    s.remove(0);
                    if s.len() == 2 && s[0] == "first" {
                        s = vec!["resmlp".into(), "0".into(), s[1].clone()];
                    } else if s.len() == 3 && s[0] == "layers" {
                        if let Ok(k) = s[1].parse::<usize>() {
                            s = vec!["resmlp".into(), (k + 2).to_string(), "resmlp".into(), "0".into(), s[2].clone()];
                        }
                    }
                } else if s.first().map(String::as_str) == Some("mixer") {
                    s.remove(0);
                    if s.len() == 2 && (s[0] == "first_layer" || s[0] == "final_layer") {
                        s.insert(1, "0".into());
                    }
                    if s.len() >= 3 && s[0] == "blocks" {
                        mixer_to_official(&mut s[2..]);
                        s.insert(2, "0".into());
                    }
                }
            }
        }
        s.join(".")
    }
}

fn is_sampler(name: &str) -> bool {
    matches!(name, "down1_2" | "down2_3" | "down3_4" | "up4_3" | "up3_2" | "up2_1")
}

/// `patch_mixer.0.w` → `patch_mixer.fc1.w` on a slice starting at the mixer field.
fn mixer_to_ours(s: &mut [String]) {
    if s.len() >= 3 && (s[0] == "patch_mixer" || s[0] == "channel_mixer") {
        match s[1].as_str() {
            "0" => s[1] = "fc1".into(),
            "2" => s[1] = "fc2".into(),
            _ => {}
        }
    }
}

fn mixer_to_official(s: &mut [String]) {
    if s.len() >= 3 && (s[0] == "patch_mixer" || s[0] == "channel_mixer") {
        match s[1].as_str() {
            "fc1" => s[1] = "0".into(),
            "fc2" => s[1] = "2".into(),
            _ => {}
        }
    }
}

fn le_to_ours(s: &mut Vec<String>, kind: LatentEncoderKind) {
    match s[0].as_str() {
        "conv1" | "end" if s.len() == 3 && s[1] == "0" => {
            s.remove(1);
        }
        "blocks" if s.len() == 4 => match s[2].as_str() {
            "0" => s[2] = "conv_a".into(),
            "2" => s[2] = "conv_b".into(),
            _ => {}
        },
        "conv2" => match kind {
            LatentEncoderKind::Gelu if s.len() == 2 => s.insert(1, "0".into()),
            LatentEncoderKind::Lrelu if s.len() == 3 => {
                if let Some(k) = s[1].parse::<usize>().ok().filter(|k| k % 2 == 0) {
                    s[1] = (k / 2).to_string();
                }
            }
            _ => {}
        },
        "mlp" => mixer_to_ours(&mut s[1..]),
        _ => {}
    }
}

fn le_to_official(s: &mut Vec<String>, kind: LatentEncoderKind) {
    match s[0].as_str() {
        "conv1" | "end" if s.len() == 2 => s.insert(1, "0".into()),
        "blocks" if s.len() == 4 => match s[2].as_str() {
            "conv_a" => s[2] = "0".into(),
            "conv_b" => s[2] = "2".into(),
            _ => {}
        },
        "conv2" if s.len() == 3 => match kind {
            LatentEncoderKind::Gelu => {
                s.remove(1);
            }
            LatentEncoderKind::Lrelu => {
                if let Ok(k) = s[1].parse::<usize>() {
                    s[1] = (2 * k).to_string();
                }
            }
        },
        "mlp" => mixer_to_official(&mut s[1..]),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LatentEncoderKind::*;

    fn style(le: LatentEncoderKind, simple: bool) -> KeyStyle {
        KeyStyle { le_kind: le, le_dm_kind: le, simple_denoiser: simple }
    }

    #[test]
    fn round_trips() {
        let cases = [
            (Network::G, Gelu, false, "down_1.1.weight", "down_1.token.weight"),
            (Network::G, Gelu, false, "down_2.3.bias", "down_2.channel.bias"),
            (Network::G, Gelu, false, "up4_3.body.0.weight", "up4_3.conv.weight"),
            (Network::G, Gelu, false, "latent.blocks.0.attn.ln1.weight", "latent.blocks.0.attn.ln1.weight"),
            (Network::G, Gelu, false, "encoder_level1.him.norm1.body.weight", "encoder_level1.him.norm1.body.weight"),
            (Network::Le, Gelu, false, "conv1.0.weight", "conv1.weight"),
            (Network::Le, Gelu, false, "blocks.3.2.bias", "blocks.3.conv_b.bias"),
            (Network::Le, Gelu, false, "conv2.weight", "conv2.0.weight"),
            (Network::Le, Lrelu, false, "conv2.4.weight", "conv2.2.weight"),
            (Network::Le, Gelu, false, "mlp.channel_mixer.2.bias", "mlp.channel_mixer.fc2.bias"),
            (Network::Le, Gelu, false, "mlp.norm1.weight", "mlp.norm1.weight"),
            (Network::Le, Gelu, false, "end.0.weight", "end.weight"),
            (Network::D, Gelu, false, "time_mlp", "mixer.time_mlp"),
            (Network::D, Gelu, false, "first_layer.0.weight", "mixer.first_layer.weight"),
            (Network::D, Gelu, false, "blocks.1.0.patch_mixer.0.weight", "mixer.blocks.1.patch_mixer.fc1.weight"),
            (Network::D, Gelu, false, "blocks.0.0.norm2.bias", "mixer.blocks.0.norm2.bias"),
            (Network::D, Lrelu, true, "resmlp.0.weight", "simple.first.weight"),
            (Network::D, Lrelu, true, "resmlp.5.resmlp.0.bias", "simple.layers.3.bias"),
        ];
        for (net, le, simple, official, ours) in cases {
            let st = style(le, simple);
            assert_eq!(st.to_ours(net, official), ours, "{official}");
            assert_eq!(st.to_official(net, ours), official, "{ours}");
        }
    }
}
