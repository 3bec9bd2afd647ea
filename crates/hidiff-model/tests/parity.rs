//! Parity with the official PyTorch implementation on the golden vectors
//! (`tests/fixtures/golden`, copied from the project's shared golden folder).
//! Tolerances are those the golden READMEs state; see `parity::Tolerances`.

use std::path::PathBuf;

use burn::backend::{Autodiff, Flex};
use hidiff_model::parity::{run, CaseReport, CASES};

type B = Autodiff<Flex>;

fn golden(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden").join(sub)
}

fn print_and_assert(reports: &[CaseReport], expect_skipped: &[&str]) {
    let mut failures = Vec::new();
    for r in reports {
        match (&r.skipped, r.worst()) {
            (Some(why), _) => {
                println!("{:<26} skipped: {why}", r.case);
                assert!(expect_skipped.contains(&r.case.as_str()), "case {} unexpectedly skipped", r.case);
            }
            (None, Some(w)) => {
                println!("{:<26} {:>10.3e} <= {:>10.3e} ({}) worst {}", r.case, w.max_abs, w.bound, w.tolerance, w.key);
                assert!(!r.checks.is_empty());
                for c in r.checks.iter().filter(|c| !c.passed()) {
                    failures.push(format!("{}: {} = {:.3e} > {:.3e}", r.case, c.key, c.max_abs, c.bound));
                }
            }
            (None, None) => failures.push(format!("{}: no tensor compared", r.case)),
        }
    }
    assert!(failures.is_empty(), "parity failures:\n{}", failures.join("\n"));
}

#[test]
fn gopro_golden_cases_match_reference() {
    let reports = run::<B>(&golden(""), &Default::default()).expect("golden folder loads");
    assert_eq!(reports.len(), CASES.len());
    print_and_assert(&reports, &[]);
    // The training case compares all 232 stored gradients (189 net_g, 26 net_le_dm,
    // 17 net_d) plus losses and the total norm.
    let train = reports.iter().find(|r| r.case == "stage2_train_forward").unwrap();
    assert_eq!(train.checks.iter().filter(|c| c.key.contains(".grad.")).count(), 232);
    assert!(train.checks.iter().any(|c| c.key.ends_with("grad_total_norm")));
}

#[test]
fn realblur_golden_cases_match_reference() {
    let reports = run::<B>(&golden("realblur"), &Default::default()).expect("golden folder loads");
    print_and_assert(&reports, &["stage1_forward"]);
    let sampling = reports.iter().find(|r| r.case == "sampling").unwrap();
    // 16 steps, x0_pred and x_out each, plus the output.
    assert_eq!(sampling.checks.len(), 33);
    // 30 net_le_dm + 6 net_d + 13 named net_g gradients are stored.
    let train = reports.iter().find(|r| r.case == "stage2_train_forward").unwrap();
    assert_eq!(train.checks.iter().filter(|c| c.key.contains(".grad.")).count(), 49);
    assert!(train.checks.iter().any(|c| c.key.ends_with("grad_norm.net_le_dm")));
}
