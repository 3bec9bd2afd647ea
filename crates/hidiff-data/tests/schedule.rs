//! The progressive patch/batch schedule (docs/reference.md §4.5) and its strict TOML form.

use hidiff_data::{ProgressiveSchedule, ScheduleStage};

#[test]
fn the_paper_schedule_picks_the_right_stage() {
    let s = ProgressiveSchedule::paper();
    let at = |i| {
        let st = s.stage_at(i);
        (st.patch, st.batch)
    };
    assert_eq!(at(1), (128, 16));
    assert_eq!(at(20_000), (128, 16));
    assert_eq!(at(20_001), (160, 10));
    assert_eq!(at(40_001), (192, 8));
    assert_eq!(at(60_001), (256, 4));
    assert_eq!(at(80_001), (320, 2));
    assert_eq!(at(100_000), (320, 2));
    assert_eq!(at(100_001), (384, 2));
    assert_eq!(at(300_000), (384, 2));
    assert_eq!(at(400_000), (384, 2), "after the last stage the last one holds");
    assert_eq!((s.max_patch(), s.max_batch()), (384, 16));
    assert_eq!(ProgressiveSchedule::default(), s);
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Experiment {
    schedule: ProgressiveSchedule,
}

#[test]
fn toml_lists_parse_and_bad_ones_are_rejected() {
    let good =
        "[[schedule]]\nuntil_iter = 10\npatch = 64\nbatch = 8\n[[schedule]]\nuntil_iter = 20\npatch = 96\nbatch = 4\n";
    let exp: Experiment = toml::from_str(good).expect("parses");
    assert_eq!(exp.schedule.stages()[1], ScheduleStage { until_iter: 20, patch: 96, batch: 4 });
    assert_eq!(exp.schedule.stage_at(11).patch, 96);

    let typo = "[[schedule]]\nuntil_iter = 10\npatch = 64\nbatchsize = 8\n";
    let err = toml::from_str::<Experiment>(typo).expect_err("unknown field");
    assert!(err.to_string().contains("batchsize"), "{err}");

    let decreasing =
        "[[schedule]]\nuntil_iter = 10\npatch = 64\nbatch = 8\n[[schedule]]\nuntil_iter = 10\npatch = 96\nbatch = 4\n";
    let err = toml::from_str::<Experiment>(decreasing).expect_err("until_iter must increase");
    assert!(err.to_string().contains("increase"), "{err}");

    assert!(toml::from_str::<Experiment>("schedule = []").is_err(), "empty list");
    assert!(ProgressiveSchedule::constant(0, 4).is_err());

    // The paper schedule round-trips through TOML.
    #[derive(serde::Serialize)]
    struct Out<'a> {
        schedule: &'a ProgressiveSchedule,
    }
    let text = toml::to_string(&Out { schedule: &ProgressiveSchedule::paper() }).expect("serialises");
    let back: Experiment = toml::from_str(&text).expect("parses back");
    assert_eq!(back.schedule, ProgressiveSchedule::paper());
}
