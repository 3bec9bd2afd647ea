//! The paper presets produce exactly the official state-dict keys, shapes and
//! parameter counts (`paper_config_keys.tsv`, `paper_config_params.txt` of the
//! golden folders, generated from the official module definitions).

use std::collections::BTreeMap;
use std::path::PathBuf;

use burn::backend::Flex;
use burn::module::Module;
use hidiff_model::{KeyStyle, ModelConfig, Network, Networks};

fn fixture(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `network -> [(key, shape)]` in file order.
fn keys_tsv(text: &str) -> BTreeMap<String, Vec<(String, Vec<usize>)>> {
    let mut out: BTreeMap<String, Vec<(String, Vec<usize>)>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut f = line.split('\t');
        let mut field = || f.next().unwrap_or_else(|| panic!("three tab-separated fields: {line}"));
        let (net, key, shape) = (field(), field(), field());
        let shape: Vec<usize> = shape
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse().unwrap_or_else(|e| panic!("shape {shape}: {e}")))
            .collect();
        out.entry(net.to_string()).or_default().push((key.to_string(), shape));
    }
    out
}

fn params_txt(text: &str) -> BTreeMap<String, (usize, Option<usize>)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let count = |s: &str| s.parse().unwrap_or_else(|e| panic!("parameter count {s:?}: {e}"));
            (f[0].to_string(), (count(f[1]), f.get(2).map(|s| count(s))))
        })
        .collect()
}

fn check(cfg: ModelConfig, keys_file: &str, params_file: &str) {
    let model = cfg.init::<Flex>(Networks::All, &Default::default());
    let style = KeyStyle::of(&cfg);
    let expected = keys_tsv(&fixture(keys_file));
    let params = params_txt(&fixture(params_file));
    let mut counts = BTreeMap::new();
    for net in Network::ALL {
        let ours: BTreeMap<String, Vec<usize>> = model.official_shapes(net, &style).into_iter().collect();
        let theirs: BTreeMap<String, Vec<usize>> = expected[net.name()].iter().cloned().collect();
        let missing: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
        let extra: Vec<_> = ours.keys().filter(|k| !theirs.contains_key(*k)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", net.name());
        for (k, shape) in &theirs {
            assert_eq!(&ours[k], shape, "{}.{k}", net.name());
        }
        let n: usize = ours.values().map(|s| s.iter().product::<usize>()).sum();
        let (want, entries) = params[net.name()];
        assert_eq!(n, want, "{} parameter count", net.name());
        assert_eq!(Some(ours.len()), entries, "{} state-dict entries", net.name());
        counts.insert(net, n);
    }
    let inference = counts[&Network::G] + counts[&Network::LeDm] + counts[&Network::D];
    assert_eq!(inference, params["inference(net_g+net_le_dm+net_d)"].0);
    assert_eq!(counts[&Network::G] + counts[&Network::Le], params["stage1_trainable(net_g+net_le)"].0);
    // burn's own count agrees with the key-by-key count.
    assert_eq!(model.net_g.num_params(), counts[&Network::G]);
}

#[test]
fn gopro_preset_has_official_keys_shapes_and_counts() {
    check(ModelConfig::gopro(), "paper_config_keys.tsv", "paper_config_params.txt");
    assert_eq!(
        {
            let m = ModelConfig::gopro().init::<Flex>(Networks::Inference, &Default::default());
            m.num_params()
        },
        28_486_900
    );
}

#[test]
fn realblur_preset_has_official_keys_shapes_and_counts() {
    check(ModelConfig::realblur(), "realblur/paper_config_keys.tsv", "realblur/paper_config_params.txt");
}
