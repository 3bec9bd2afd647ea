//! `hidiff info`: parameter counts and the analytic cost of one inference.

use anyhow::{Context, Result};
use burn::module::Module;
use hidiff_model::{Network, Networks};

use crate::config_source::ConfigSource;

/// Arguments of `hidiff info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    #[command(flatten)]
    pub config: ConfigSource,
    /// Read the configuration stored in this hidiff checkpoint.
    #[arg(long, conflicts_with_all = ["config", "preset"])]
    pub weights: Option<std::path::PathBuf>,
    /// Image size for the FLOP count, HxW.
    #[arg(long, default_value = "256x256", value_parser = crate::config_source::parse_hw)]
    pub size: (usize, usize),
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Prints parameters per network and FLOPs at the given size.
pub fn run(args: &InfoArgs) -> Result<()> {
    let (cfg, name) = match &args.weights {
        Some(w) => {
            let cfg = hidiff_model::checkpoint::embedded_config(&hidiff_model::WeightsPath::detect(w)?)?
                .with_context(|| format!("{} holds no hidiff configuration; pass --config or --preset", w.display()))?;
            (cfg, w.display().to_string())
        }
        None => args.config.resolve()?,
    };
    let (h, w) = args.size;
    let model = cfg.init::<burn::backend::Flex>(Networks::All, &Default::default());
    let count = |net: Network| -> usize {
        match net {
            Network::G => model.net_g.num_params(),
            Network::Le => model.net_le.as_ref().map_or(0, |m| m.num_params()),
            Network::LeDm => model.net_le_dm.as_ref().map_or(0, |m| m.num_params()),
            Network::D => model.net_d.as_ref().map_or(0, |m| m.num_params()),
        }
    };
    let params: Vec<(Network, usize)> = Network::ALL.iter().map(|&n| (n, count(n))).collect();
    let inference: usize = params.iter().filter(|(n, _)| *n != Network::Le).map(|(_, p)| p).sum();
    let stage1 = count(Network::G) + count(Network::Le);
    let macs = cfg.macs(h, w);
    if args.json {
        let obj = hidiff_report::InfoReport {
            config: name,
            parameters: params.iter().map(|(n, p)| (n.name().to_string(), *p)).collect(),
            parameters_inference: inference,
            parameters_stage1: stage1,
            size: [h, w],
            gmac: hidiff_report::Gmac {
                net_g: macs.net_g / 1e9,
                net_le_dm: macs.net_le_dm / 1e9,
                net_d_all_steps: macs.net_d / 1e9,
                net_le: macs.net_le / 1e9,
            },
            gflops_inference: macs.inference_flops() / 1e9,
            timesteps: cfg.diffusion.timesteps,
            model_toml: cfg.to_toml_string(),
        };
        println!("{}", serde_json::to_string_pretty(&obj).context("serialising")?);
        return Ok(());
    }
    println!("configuration: {name}");
    println!("{:<12} {:>14}", "network", "parameters");
    for (n, p) in &params {
        println!("{:<12} {:>14}", n.name(), group(*p));
    }
    println!("{:<12} {:>14}  (net_g + net_le_dm + net_d)", "inference", group(inference));
    println!("{:<12} {:>14}  (net_g + net_le)", "stage 1", group(stage1));
    println!();
    println!(
        "cost of one inference at {h}x{w} (MACs of convolutions, linear layers and matrix products; FLOPs = 2 x MACs):"
    );
    println!("  net_g      {:>10.3} GMAC", macs.net_g / 1e9);
    println!("  net_le_dm  {:>10.3} GMAC", macs.net_le_dm / 1e9);
    println!("  net_d      {:>10.3} GMAC ({} steps)", macs.net_d / 1e9, cfg.diffusion.timesteps);
    println!("  total      {:>10.3} GMAC = {:.1} GFLOP", macs.inference() / 1e9, macs.inference_flops() / 1e9);
    Ok(())
}

fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
