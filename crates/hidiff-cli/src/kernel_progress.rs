//! Counting GPU kernel compilations and autotune runs, and showing them while they
//! happen (a user must not stare at a silent terminal for minutes).
//!
//! cubecl 0.10 has no compilation callback, but it reports through the `log` crate:
//! `cubecl_cuda::compute::context` logs `Compiling kernel` (trace) before every NVRTC
//! compilation and `Using PTX cache` (trace) when a kernel comes from the persistent
//! cache; `cubecl_runtime::tune::tuner` logs `Tuning <key>` (info) when it starts
//! tuning an autotune key. [`install`] registers a `log` logger that counts these
//! three events (and prints cubecl's warnings); nothing else is formatted.
//!
//! While events arrive, a spinner on stderr counts them; when stderr is not a
//! terminal (a log file), a plain progress line is printed every 10 s instead.

// Without the `cuda` feature nothing installs the counter; it still builds (and is
// unit-tested) there.
#![cfg_attr(not(feature = "cuda"), allow(dead_code))]

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What one log record says about kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelEvent {
    /// A kernel compiled by NVRTC.
    Compiled,
    /// A kernel loaded from the persistent PTX cache.
    FromCache,
    /// An autotune key being tuned (its candidates are then compiled and timed).
    Tuning,
}

/// Reads a log record: `Some(event)` for the three kernel events, `None` otherwise.
pub fn classify(target: &str, level: log::Level, args: &std::fmt::Arguments<'_>) -> Option<KernelEvent> {
    if target.starts_with("cubecl_cuda") || target.starts_with("cubecl_hip") {
        if level != log::Level::Trace {
            return None;
        }
        let text = match args.as_str() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None if target.ends_with("compute::context") => std::borrow::Cow::Owned(args.to_string()),
            None => return None,
        };
        return match text.as_ref() {
            "Compiling kernel" => Some(KernelEvent::Compiled),
            "Using PTX cache" => Some(KernelEvent::FromCache),
            _ => None,
        };
    }
    if target.starts_with("cubecl_runtime::tune") && level == log::Level::Info {
        // "Tuning {key}": the format string's literal part starts the message.
        let starts = match args.as_str() {
            Some(s) => s.starts_with("Tuning "),
            None => args.to_string().starts_with("Tuning "),
        };
        return starts.then_some(KernelEvent::Tuning);
    }
    None
}

/// Counts of the three events since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KernelCounts {
    /// Kernels compiled by NVRTC.
    pub compiled: u64,
    /// Kernels loaded from the persistent cache.
    pub from_cache: u64,
    /// Autotune keys tuned.
    pub autotuned: u64,
}

/// The counters and the progress display.
#[derive(Debug, Default)]
pub struct Counter {
    compiled: AtomicU64,
    from_cache: AtomicU64,
    autotuned: AtomicU64,
    display: Mutex<Display>,
}

#[derive(Debug, Default)]
struct Display {
    spinner: Option<ProgressBar>,
    started: Option<Instant>,
    last_event: Option<Instant>,
    last_line: Option<Instant>,
}

impl Counter {
    /// Counts one event.
    pub fn record(&self, e: KernelEvent) {
        let c = match e {
            KernelEvent::Compiled => &self.compiled,
            KernelEvent::FromCache => &self.from_cache,
            KernelEvent::Tuning => &self.autotuned,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn counts(&self) -> KernelCounts {
        KernelCounts {
            compiled: self.compiled.load(Ordering::Relaxed),
            from_cache: self.from_cache.load(Ordering::Relaxed),
            autotuned: self.autotuned.load(Ordering::Relaxed),
        }
    }

    fn message(&self) -> String {
        let c = self.counts();
        format!(
            "GPU kernels: {} compiled, {} from the cache, {} autotuned (first run only; cached for the next)",
            c.compiled, c.from_cache, c.autotuned
        )
    }

    /// Updates the display after an event.
    fn show(&self, terminal: bool) {
        let Ok(mut d) = self.display.lock() else { return };
        let now = Instant::now();
        d.last_event = Some(now);
        let started = *d.started.get_or_insert(now);
        if terminal {
            let spinner = d.spinner.get_or_insert_with(|| {
                let s = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                s.set_style(
                    ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                s.enable_steady_tick(Duration::from_millis(120));
                s
            });
            spinner.set_message(self.message());
        } else if d.last_line.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(10)) {
            d.last_line = Some(now);
            eprintln!("[hidiff] {} after {:.0} s", self.message(), now.duration_since(started).as_secs_f64());
        }
    }

    /// Clears the spinner once no event came for `idle`.
    fn clear_if_idle(&self, idle: Duration) {
        let Ok(mut d) = self.display.lock() else { return };
        if d.last_event.is_some_and(|t| t.elapsed() >= idle) {
            if let Some(s) = d.spinner.take() {
                s.finish_and_clear();
            }
            d.last_event = None;
            d.started = None;
        }
    }

    /// Prints a warning without breaking the spinner's line.
    fn warn(&self, msg: &str) {
        match self.display.lock().ok().and_then(|d| d.spinner.clone()) {
            Some(s) => s.suspend(|| eprintln!("{msg}")),
            None => eprintln!("{msg}"),
        }
    }
}

struct KernelLog {
    counter: Arc<Counter>,
    terminal: bool,
}

impl log::Log for KernelLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.target().starts_with("cubecl")
    }

    fn log(&self, r: &log::Record<'_>) {
        if !r.target().starts_with("cubecl") {
            return;
        }
        if let Some(e) = classify(r.target(), r.level(), r.args()) {
            self.counter.record(e);
            self.counter.show(self.terminal);
        } else if r.level() <= log::Level::Warn {
            self.counter.warn(&format!("[cubecl {}] {}", r.level(), r.args()));
        }
    }

    fn flush(&self) {}
}

static COUNTER: OnceLock<Arc<Counter>> = OnceLock::new();

/// Registers the counting logger (once; a no-op if another logger was set first, in
/// which case [`counts`] stays `None`).
pub fn install() {
    if COUNTER.get().is_some() {
        return;
    }
    let counter = Arc::new(Counter::default());
    let logger = KernelLog { counter: counter.clone(), terminal: std::io::stderr().is_terminal() };
    // `set_logger` with a leaked box: `set_boxed_logger` needs log's `std` feature,
    // which would rebuild every crate that logs.
    let logger: &'static KernelLog = Box::leak(Box::new(logger));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
        let _ = COUNTER.set(counter.clone());
        std::thread::Builder::new()
            .name("hidiff-kernel-progress".into())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_millis(500));
                counter.clear_if_idle(Duration::from_secs(2));
            })
            .ok();
    }
}

/// The counts so far, or `None` when the counter is not installed (CPU runs).
pub fn counts() -> Option<KernelCounts> {
    COUNTER.get().map(|c| c.counts())
}

/// Clears the spinner now (before printing results).
pub fn clear() {
    if let Some(c) = COUNTER.get() {
        c.clear_if_idle(Duration::ZERO);
    }
}

/// One line summing up the process's kernels, if any were seen.
pub fn summary() -> Option<String> {
    let c = counts()?;
    (c != KernelCounts::default()).then(|| {
        format!(
            "GPU kernels in this run: {} compiled by NVRTC, {} loaded from the cache, {} autotune keys tuned",
            c.compiled, c.from_cache, c.autotuned
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::Log;

    fn record(target: &str, level: log::Level, args: std::fmt::Arguments<'_>, logger: &KernelLog) {
        logger.log(&log::Record::builder().target(target).level(level).args(args).build());
    }

    #[test]
    fn classifies_cubecl_messages() {
        let ctx = "cubecl_cuda::compute::context";
        assert_eq!(classify(ctx, log::Level::Trace, &format_args!("Compiling kernel")), Some(KernelEvent::Compiled));
        assert_eq!(classify(ctx, log::Level::Trace, &format_args!("Using PTX cache")), Some(KernelEvent::FromCache));
        assert_eq!(classify(ctx, log::Level::Warn, &format_args!("Compiling kernel")), None);
        assert_eq!(classify(ctx, log::Level::Trace, &format_args!("something else")), None);
        let key = "MatmulAutotuneKey { m: 64 }";
        let tuner = "cubecl_runtime::tune::tuner";
        assert_eq!(classify(tuner, log::Level::Info, &format_args!("Tuning {key}")), Some(KernelEvent::Tuning));
        assert_eq!(classify(tuner, log::Level::Info, &format_args!("Load autotune cache ...")), None);
        assert_eq!(classify("burn_fusion::stream", log::Level::Trace, &format_args!("Compiling kernel")), None);
    }

    #[test]
    fn logger_counts_only_kernel_events() {
        let counter = Arc::new(Counter::default());
        let logger = KernelLog { counter: counter.clone(), terminal: false };
        let ctx = "cubecl_cuda::compute::context";
        for _ in 0..3 {
            record(ctx, log::Level::Trace, format_args!("Compiling kernel"), &logger);
        }
        record(ctx, log::Level::Trace, format_args!("Using PTX cache"), &logger);
        let key = 7;
        record("cubecl_runtime::tune::tuner", log::Level::Info, format_args!("Tuning {key}"), &logger);
        record("burn_cubecl::kernel", log::Level::Trace, format_args!("Compiling kernel"), &logger);
        record(
            "cubecl_runtime::tune::tune_cache",
            log::Level::Info,
            format_args!("Loaded 3 autotune cached entries"),
            &logger,
        );
        assert_eq!(counter.counts(), KernelCounts { compiled: 3, from_cache: 1, autotuned: 1 });
        assert!(logger.enabled(&log::Metadata::builder().target(ctx).level(log::Level::Trace).build()));
        assert!(!logger.enabled(&log::Metadata::builder().target("hyper").level(log::Level::Trace).build()));
        assert!(counter.message().starts_with("GPU kernels: 3 compiled, 1 from the cache, 1 autotuned"));
        counter.clear_if_idle(Duration::ZERO);
        assert!(counter.display.lock().unwrap().last_event.is_none());
    }
}
