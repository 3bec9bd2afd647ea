//! Trajectories and PSFs (Boracchi & Foi 2012): normalised, non-negative, centred.

use hidiff_data::synthetic::psf::Psf;
use hidiff_data::synthetic::trajectory::{Trajectory, TrajectoryParams};
use rand::{Rng, SeedableRng};

#[test]
fn every_psf_sums_to_one_is_non_negative_and_centred() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut big_shakes = 0;
    for i in 0..60 {
        let params = TrajectoryParams {
            samples: 2000,
            length: rng.gen_range(2.0..40.0),
            anxiety: [0.0, 0.001, 0.005, 0.01, 0.05, 0.1][i % 6],
        };
        let trajectory = Trajectory::random(&params, &mut rng);
        big_shakes += trajectory.big_shakes;
        assert_eq!(trajectory.points.len(), 2000);
        assert!((trajectory.length() - params.length).abs() < 1e-6 * params.length.max(1.0), "path length");
        for exposure in [0.01, 0.1, 0.5, 0.77, 1.0] {
            let psf = Psf::from_path(&trajectory.points, exposure);
            let sum: f64 = psf.weights().iter().map(|&w| f64::from(w)).sum();
            assert!((sum - 1.0).abs() < 1e-5, "sum {sum}");
            assert!(psf.weights().iter().all(|&w| w >= 0.0 && w.is_finite()));
            assert_eq!(psf.weights().len(), psf.size() * psf.size());
            assert_eq!(psf.size() % 2, 1);
            let (cx, cy) = psf.centroid();
            assert!(cx.abs() < 1e-4 && cy.abs() < 1e-4, "centroid ({cx}, {cy})");
        }
        // With DeblurGAN's anxieties (at most 0.01) a long path spreads over many
        // pixels; higher anxieties may coil it up tightly.
        if params.length > 10.0 && params.anxiety <= 0.01 {
            let psf = Psf::from_path(&trajectory.points, 1.0);
            assert!(psf.taps().len() > 8, "{} taps for a {:.1} px path", psf.taps().len(), params.length);
            assert!(psf.weights().iter().cloned().fold(0.0, f32::max) < 0.5);
        }
    }
    assert!(big_shakes > 0, "high anxieties produce some big shakes");
}

#[test]
fn the_same_generator_state_gives_the_same_trajectory() {
    let params = TrajectoryParams { samples: 500, length: 12.0, anxiety: 0.005 };
    let a = Trajectory::random(&params, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
    let b = Trajectory::random(&params, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
    let c = Trajectory::random(&params, &mut rand_chacha::ChaCha8Rng::seed_from_u64(4));
    assert_eq!(a, b);
    assert_ne!(a.points, c.points);
}

#[test]
fn an_empty_or_still_path_is_the_identity() {
    assert_eq!(Psf::from_path(&[], 1.0).weights(), &[1.0]);
    let still = Psf::from_path(&[[3.25, -1.5]; 10], 1.0);
    assert_eq!(still.taps().len(), 1);
    assert_eq!(still.taps()[0].dx, 0);
    assert_eq!(still.taps()[0].dy, 0);
}
