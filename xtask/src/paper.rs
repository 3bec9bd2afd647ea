//! The paper's numbers (docs/reference.md §8), for the columns beside ours.

/// One row of a paper table: method and (PSNR, SSIM) per test set, `None` = N/A.
#[derive(Debug, Clone, Copy)]
pub struct PaperRow {
    pub method: &'static str,
    pub scores: &'static [Option<(f64, f64)>],
}

/// Table 2: trained on GoPro; columns GoPro, HIDE, RealBlur-R, RealBlur-J.
pub const TABLE2_SETS: [&str; 4] = ["GoPro", "HIDE", "RealBlur-R", "RealBlur-J"];

/// Table 2 rows we print beside ours (the backbone and the paper's model).
pub const TABLE2: [PaperRow; 2] = [
    PaperRow {
        method: "Restormer (paper)",
        scores: &[Some((32.92, 0.961)), Some((31.22, 0.942)), Some((36.19, 0.957)), Some((28.96, 0.879))],
    },
    PaperRow {
        method: "HI-Diff (paper)",
        scores: &[Some((33.33, 0.964)), Some((31.46, 0.945)), Some((36.28, 0.958)), Some((29.15, 0.890))],
    },
];

/// Table 3: trained and tested on RealBlur; columns RealBlur-R, RealBlur-J.
pub const TABLE3_SETS: [&str; 2] = ["RealBlur-R", "RealBlur-J"];

/// Table 3 rows we print beside ours.
pub const TABLE3: [PaperRow; 2] = [
    PaperRow { method: "Stripformer (paper)", scores: &[Some((39.84, 0.974)), Some((32.48, 0.929))] },
    PaperRow { method: "HI-Diff (paper)", scores: &[Some((41.01, 0.978)), Some((33.70, 0.941))] },
];
