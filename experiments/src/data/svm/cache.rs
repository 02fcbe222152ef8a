//! Each data set's SVM solved once per process: runs look their margin up by a hash of the data's
//! contents, so the runs of an experiment and the points of a sweep on one data set share a solve
//! (a sweep's points running in parallel wait for the first one's solve instead of repeating it).

use std::hash::{DefaultHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::{SvmOptions, SvmReport, SvmResult, solve};
use crate::data::Dataset;

/// What identifies a data set: its shape and a hash of every input and label bit for bit (the
/// name is left out: the same examples under another name have the same margin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    n: usize,
    dim: usize,
    content: u64,
}

impl Key {
    fn of(data: &Dataset) -> Self {
        let mut hasher = DefaultHasher::new();
        data.x
            .iter()
            .chain(&data.y)
            .for_each(|v| hasher.write_u64(v.to_bits()));
        Self {
            n: data.n,
            dim: data.dim,
            content: hasher.finish(),
        }
    }
}

/// Solved SVMs (default options) by data set, each solved at most once.
pub struct MarginCache {
    /// A handful of data sets per process at most, so a list beats a map (and is `const`).
    entries: Mutex<Vec<(Key, Arc<OnceLock<SvmReport>>)>>,
    solves: AtomicUsize,
}

impl Default for MarginCache {
    fn default() -> Self {
        Self::new()
    }
}

impl MarginCache {
    /// An empty cache.
    pub const fn new() -> Self {
        Self {
            entries: Mutex::new(Vec::new()),
            solves: AtomicUsize::new(0),
        }
    }

    /// The report of [`solve`] on `data` with the default options, solved on the first request
    /// for these contents and copied from the cache afterwards.
    pub fn report(&self, data: &Dataset) -> SvmReport {
        let key = Key::of(data);
        let slot = {
            // A panic elsewhere while the list was locked leaves it intact (entries are only
            // ever pushed whole), so a poisoned lock is still safe to use.
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            match entries.iter().find(|(k, _)| *k == key) {
                Some((_, slot)) => Arc::clone(slot),
                None => {
                    let slot = Arc::new(OnceLock::new());
                    entries.push((key, Arc::clone(&slot)));
                    slot
                }
            }
        };
        // Solved outside the list's lock, so other data sets need not wait for this one.
        slot.get_or_init(|| {
            self.solves.fetch_add(1, Ordering::Relaxed);
            solve(data, &SvmOptions::default())
        })
        .clone()
    }

    /// How many solves this cache has run (one per distinct data set asked for).
    pub fn solves(&self) -> usize {
        self.solves.load(Ordering::Relaxed)
    }
}

/// The process-wide cache behind [`cached_solve`] and [`cached_hard_margin`].
static GLOBAL: MarginCache = MarginCache::new();

/// [`solve`] with the default options, once per data set per process.
pub fn cached_solve(data: &Dataset) -> SvmReport {
    GLOBAL.report(data)
}

/// [`super::hard_margin`], once per data set per process.
pub fn cached_hard_margin(data: &Dataset) -> SvmResult {
    GLOBAL.report(data).result
}
