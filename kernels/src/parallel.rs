//! Fork–join for the parallel parts of the kernels: a [`Team`] of threads kept on hand, and the
//! [`Parallelism`] value that every kernel able to split takes as an argument, the way the `gemm`
//! crate takes its `Parallelism`.
//!
//! Nothing is implicit. Given [`Parallelism::NONE`] a kernel runs on the calling thread; given a
//! team's [`Team::parallelism`] it may cut its work into parts and hand them to the team. How a
//! kernel cuts its work depends on the work and on [`Parallelism::threads`] only, and parts write
//! disjoint outputs, so which thread runs a part never changes a result.
//!
//! Why a team rather than rayon's fork–join: rayon puts an idle worker to sleep after some tens
//! of microseconds, and waking it costs more than a small product gains from a second thread.
//! Measured on this machine, a 200×100×100 f32 product took 22 µs on two threads back to back,
//! but 55 µs after 100 µs of idleness, against 40 µs on one thread. A training step runs dozens
//! of such products with elementwise work in between, so each would pay the wake-up. A team's
//! helpers poll a shared slot instead of sleeping; the thread that posts a job claims parts too,
//! so it never waits for a helper that has not arrived.
//!
//! A team also owns the packing buffers of its threads, one set per thread (so that a thread
//! packs into memory its own cache holds), each made big enough for the largest cache block when
//! the team is created: a part never grows buffers, so what a step allocates does not depend on
//! which thread ran which part.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::scratch::{Scratch, with_thread_scratch};

/// How long a helper keeps polling (see [`pause`]) after its last part; beyond it, it naps
/// between polls so that a long serial stretch (metrics, logging) does not burn a core. The
/// gaps between the products of a training step are well below it.
const HOT_POLL: Duration = Duration::from_micros(200);

/// A helper's first nap between polls once it has been idle for [`HOT_POLL`]; each further nap
/// doubles, up to [`LONGEST_NAP`], so that a team with nothing to share wakes rarely. The leader
/// never waits for a napping helper: it runs the parts itself until the helper comes back.
const NAP: Duration = Duration::from_micros(50);

/// The longest nap of an idle helper.
const LONGEST_NAP: Duration = Duration::from_millis(1);

/// Multiply–adds of the smaller of two independent products below which
/// [`Parallelism::join_products`] runs them one after the other: handing one to another thread
/// costs more than it saves. The two products of a layer's backward pass (input and weight
/// gradient) are the parallelism a small network has when each product is too small to split.
pub const MIN_FMAS_TO_JOIN: usize = 1 << 18;

/// The threads a [`Team`] created on this thread would have: the current rayon pool's.
pub fn available_threads() -> usize {
    rayon::current_num_threads()
}

/// The current rayon pool's threads, kept on hand for the parallel parts of the kernels: the
/// thread that creates the team leads it, and the pool's other threads poll for parts until the
/// team is dropped (busy for 200 µs after each part, then napping).
///
/// While a team lives its helpers occupy the pool's other threads, so work handed to rayon
/// directly runs on the calling thread alone; the kernels' parallelism goes through the team.
///
/// ```
/// use kernels::parallel::{Parallelism, Team};
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// let sum = pool.install(|| {
///     let team = Team::new();
///     let par = team.parallelism();
///     assert_eq!(par.threads(), 2);
///     let sum = AtomicUsize::new(0);
///     par.for_each_part(4, |part, _| {
///         sum.fetch_add(part, Ordering::Relaxed);
///     });
///     sum.into_inner()
/// });
/// assert_eq!(sum, 0 + 1 + 2 + 3);
/// assert_eq!(Parallelism::NONE.threads(), 1);
/// ```
pub struct Team {
    shared: Arc<Shared>,
}

impl Team {
    /// A team of the current rayon pool's threads, led by the calling thread. On a pool of one
    /// thread it has no helpers, and its parallelism is one thread.
    pub fn new() -> Self {
        let threads = available_threads();
        let shared = Arc::new(Shared::new(threads));
        for slot in 1..threads {
            let shared = Arc::clone(&shared);
            rayon::spawn(move || shared.serve(slot));
        }
        Self { shared }
    }

    /// The threads of the team, its leader included.
    pub fn threads(&self) -> usize {
        self.shared.threads
    }

    /// The parallelism that hands parts to this team; valid, and still correct, after the team
    /// is dropped (its parts then run on the calling thread).
    pub fn parallelism(&self) -> Parallelism {
        Parallelism {
            team: Some(Arc::clone(&self.shared)),
            inside: None,
        }
    }
}

impl Default for Team {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
    }
}

/// How a kernel may use threads: on the calling thread only ([`Parallelism::NONE`]), or through a
/// [`Team`]. A part of a team's job is handed a parallelism of one thread that keeps the packing
/// buffers of the thread running it.
#[derive(Clone, Default)]
pub struct Parallelism {
    /// The team parts go to, if any.
    team: Option<Arc<Shared>>,
    /// Inside a part of a job of `team`: the slot (0 the leader, i the i-th helper) of the thread
    /// running it, whose buffers it uses; work then runs on that thread alone.
    inside: Option<usize>,
}

impl std::fmt::Debug for Parallelism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.inside {
            Some(slot) => write!(f, "Parallelism(a part on thread {slot} of a team)"),
            None => write!(f, "Parallelism({} thread(s))", self.threads()),
        }
    }
}

impl Parallelism {
    /// Everything on the calling thread.
    pub const NONE: Self = Self {
        team: None,
        inside: None,
    };

    /// How many threads work may be cut for: the team's, or 1.
    pub fn threads(&self) -> usize {
        match (&self.team, self.inside) {
            (Some(team), None) => team.threads,
            _ => 1,
        }
    }

    /// Runs `f(0, ·)`, …, `f(parts − 1, ·)`, in parallel on the team when there is one, and
    /// returns when every part has run. Each call gets the parallelism its part may use: one
    /// thread, with the packing buffers of the thread running it.
    pub fn for_each_part(&self, parts: usize, f: impl Fn(usize, &Parallelism) + Sync) {
        let Some(team) = &self.team else {
            (0..parts).for_each(|part| f(part, self));
            return;
        };
        let in_part = |part, slot| {
            f(
                part,
                &Parallelism {
                    team: Some(Arc::clone(team)),
                    inside: Some(slot),
                },
            )
        };
        let slot = self.inside.unwrap_or(LEADER);
        if self.threads() > 1 && (2..=MAX_PARTS).contains(&parts) {
            team.run(parts, slot, &in_part);
        } else {
            (0..parts).for_each(|part| in_part(part, slot));
        }
    }

    /// Runs `a` and `b`, at once when there is a team, and returns both results; each gets the
    /// parallelism of its part (one thread).
    pub fn join<RA: Send, RB: Send>(
        &self,
        a: impl FnOnce(&Parallelism) -> RA + Send,
        b: impl FnOnce(&Parallelism) -> RB + Send,
    ) -> (RA, RB) {
        let (a, b) = (Mutex::new(Some(a)), Mutex::new(Some(b)));
        let (ra, rb) = (Mutex::new(None), Mutex::new(None));
        self.for_each_part(2, |part, par| {
            if part == 0 {
                let a = take(&a).expect("part 0 runs once");
                *ra.lock().unwrap_or_else(|e| e.into_inner()) = Some(a(par));
            } else {
                let b = take(&b).expect("part 1 runs once");
                *rb.lock().unwrap_or_else(|e| e.into_inner()) = Some(b(par));
            }
        });
        let done = "both parts ran";
        (take(&ra).expect(done), take(&rb).expect(done))
    }

    /// Runs two independent products of `fmas[0]` and `fmas[1]` multiply–adds, each writing its
    /// own output: at once (through [`Self::join`], each on one thread) when there are several
    /// threads and both are worth at least [`MIN_FMAS_TO_JOIN`], else one after the other, each
    /// with this parallelism. The arithmetic is the same either way.
    pub fn join_products(
        &self,
        fmas: [usize; 2],
        first: impl FnOnce(&Parallelism) + Send,
        second: impl FnOnce(&Parallelism) + Send,
    ) {
        if self.threads() > 1 && fmas[0].min(fmas[1]) >= MIN_FMAS_TO_JOIN {
            self.join(first, second);
        } else {
            first(self);
            second(self);
        }
    }

    /// Runs `f` with the packing buffers of this parallelism: in a team, those of the thread
    /// running the current part (the leader's outside a job), else the calling thread's. Buffers
    /// already in use (a team shared by threads it was not made for) fall back to the thread's.
    pub(crate) fn with_scratch<R>(&self, f: impl FnOnce(&mut Scratch) -> R) -> R {
        let slot = self
            .team
            .as_ref()
            .and_then(|team| team.scratch.get(self.inside.unwrap_or(LEADER)));
        match slot.map(Mutex::try_lock) {
            Some(Ok(mut scratch)) => f(&mut scratch),
            _ => with_thread_scratch(f),
        }
    }
}

/// The value in a slot, taken out.
fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Parts of one job: the ticket counts them in 16 bits.
const MAX_PARTS: usize = 0xffff;

/// The scratch slot of a team's leader; its helpers have 1, 2, ….
const LEADER: usize = 0;

/// A job as the helpers see it: the poster's closure, called with the part and the slot of the
/// thread running it, its lifetime erased.
type JobRef = *const (dyn Fn(usize, usize) + Sync + 'static);

/// What the leader and helpers of a team share.
struct Shared {
    /// The threads of the team, the leader included.
    threads: usize,
    /// The thread that created the team: should rayon hand it one of its own helpers' loops,
    /// the loop returns at once instead of keeping it from ever dropping the team.
    leader: ThreadId,
    /// `parts << 16 | next unclaimed part`, with a generation count above, so that a claim
    /// (one compare-and-swap) names the job and the part together.
    ticket: AtomicU64,
    /// Held by the thread posting a job until its parts have finished: a second poster (a part
    /// that captured the team's parallelism, or another thread) runs its parts itself.
    posting: AtomicBool,
    /// The current job; the poster writes it only while no part of the previous one runs.
    job: UnsafeCell<Option<JobRef>>,
    /// Parts of the current job claimed or unclaimed but not finished.
    pending: AtomicUsize,
    /// The panic of a part, re-raised by the poster once every part has finished.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Set when the team is dropped: the helpers leave.
    stop: AtomicBool,
    /// Packing buffers per thread, by slot (see the module docs).
    scratch: Box<[Mutex<Scratch>]>,
}

// SAFETY: `job` is written only by the thread holding `posting`, between jobs (no part running,
// every part claimed), and read by a helper only after it has claimed a part of the job it reads,
// which keeps the poster from starting the next one; the rest are atomics and mutexes.
unsafe impl Sync for Shared {}
// SAFETY: as above; the raw job pointer is only dereferenced under that protocol.
unsafe impl Send for Shared {}

impl Shared {
    fn new(threads: usize) -> Self {
        Self {
            threads,
            leader: thread::current().id(),
            ticket: AtomicU64::new(0),
            posting: AtomicBool::new(false),
            job: UnsafeCell::new(None),
            pending: AtomicUsize::new(0),
            panic: Mutex::new(None),
            stop: AtomicBool::new(false),
            scratch: (0..threads)
                .map(|_| Mutex::new(Scratch::for_any_block()))
                .collect(),
        }
    }

    /// Posts `f` as a job of `parts` parts, runs parts (as the thread of `slot`) until none is
    /// left unclaimed, waits for the parts helpers claimed, then re-raises a part's panic if
    /// there was one. If another job is being posted, runs every part itself.
    fn run(&self, parts: usize, slot: usize, f: &(dyn Fn(usize, usize) + Sync)) {
        if self.posting.swap(true, Ordering::Acquire) {
            (0..parts).for_each(|part| f(part, slot));
            return;
        }
        let _posted = ReleaseOnDrop(&self.posting);
        // SAFETY: only the lifetime is erased. The pointer is dereferenced only by a thread
        // holding a claimed part of this job, and this function returns only once `pending`
        // shows every part finished, so `f` outlives every use.
        let job: JobRef = unsafe { std::mem::transmute(f) };
        // SAFETY: this thread holds `posting`, and the previous job's parts are all claimed and
        // finished (its poster waited for them), so no helper reads `job` now.
        unsafe { *self.job.get() = Some(job) };
        self.pending.store(parts, Ordering::Relaxed);
        let generation = (self.ticket.load(Ordering::Relaxed) >> 32) + 1;
        // Release: a helper that sees this ticket sees the job and `pending` above.
        self.ticket
            .store(generation << 32 | (parts as u64) << 16, Ordering::Release);
        while self.claim_and_run(slot) {}
        let mut polls = 0u32;
        while self.pending.load(Ordering::Acquire) != 0 {
            pause(&mut polls);
        }
        let panic = self.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(payload) = panic {
            panic::resume_unwind(payload);
        }
    }

    /// Claims the next part of the current job and runs it as the thread of `slot`; false when
    /// none is left.
    fn claim_and_run(&self, slot: usize) -> bool {
        let mut ticket = self.ticket.load(Ordering::Acquire);
        let part = loop {
            let (parts, next) = ((ticket >> 16) & 0xffff, ticket & 0xffff);
            if next >= parts {
                return false;
            }
            match self.ticket.compare_exchange_weak(
                ticket,
                ticket + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break next as usize,
                Err(now) => ticket = now,
            }
        };
        // SAFETY: this thread holds a claimed, unfinished part of the job the ticket named, so
        // its poster is still inside `run` for it: `job` holds that job and its closure lives.
        let job = unsafe { (*self.job.get()).expect("a posted job") };
        // SAFETY: as above, the closure behind `job` is alive until `pending` reaches zero.
        let result = panic::catch_unwind(AssertUnwindSafe(|| unsafe { (*job)(part, slot) }));
        if let Err(payload) = result {
            *self.panic.lock().unwrap_or_else(|e| e.into_inner()) = Some(payload);
        }
        // Release: the poster, seeing the count drop, sees what the part wrote.
        self.pending.fetch_sub(1, Ordering::Release);
        true
    }

    /// The loop of the helper of `slot`: run parts as they are posted until the team stops.
    fn serve(&self, slot: usize) {
        if thread::current().id() == self.leader {
            return;
        }
        let mut idle_since = Instant::now();
        let mut polls = 0u32;
        let mut nap = NAP;
        loop {
            if self.claim_and_run(slot) {
                idle_since = Instant::now();
                nap = NAP;
            } else if self.stop.load(Ordering::Acquire) {
                return;
            } else if idle_since.elapsed() < HOT_POLL {
                pause(&mut polls);
            } else {
                thread::park_timeout(nap);
                nap = (nap * 2).min(LONGEST_NAP);
            }
        }
    }
}

/// One poll's pause: a spin-loop hint, and every [`POLLS_PER_YIELD`]th poll a yield of the core,
/// so that a thread sharing this core (should the OS put two there) still runs, without a stream
/// of system calls on every poll.
fn pause(polls: &mut u32) {
    *polls = polls.wrapping_add(1);
    if (*polls).is_multiple_of(POLLS_PER_YIELD) {
        thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// Polls between two yields of a waiting thread: some tens of microseconds.
const POLLS_PER_YIELD: u32 = 256;

/// Clears a flag when dropped, however the scope is left.
struct ReleaseOnDrop<'a>(&'a AtomicBool);

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a small rayon pool")
    }

    /// Every part runs exactly once, with and without a team, on 1 and 3 threads, for many jobs
    /// in a row (so that consecutive generations cannot mix).
    #[test]
    fn every_part_runs_once() {
        for threads in [1, 3] {
            pool(threads).install(|| {
                let team = Team::new();
                for par in [Parallelism::NONE, team.parallelism()] {
                    for parts in [0, 1, 2, 3, 7, 64] {
                        for _ in 0..200 {
                            let hits: Vec<AtomicUsize> =
                                (0..parts).map(|_| AtomicUsize::new(0)).collect();
                            par.for_each_part(parts, |p, inner| {
                                assert_eq!(inner.threads(), 1, "a part runs on one thread");
                                hits[p].fetch_add(1, Ordering::Relaxed);
                            });
                            let counts: Vec<usize> =
                                hits.iter().map(|h| h.load(Ordering::Relaxed)).collect();
                            assert_eq!(counts, vec![1; parts], "{threads} threads, {parts}");
                        }
                    }
                }
            });
        }
    }

    /// A panic of the team's leader (outside any part) drops the team, which lets its helpers go:
    /// the pool can hold the next team.
    #[test]
    fn a_panicking_leader_releases_its_helpers() {
        pool(2).install(|| {
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                let _team = Team::new();
                panic!("leader fails")
            }));
            assert!(result.is_err());
            let team = Team::new();
            let sum = AtomicUsize::new(0);
            team.parallelism().for_each_part(3, |p, _| {
                sum.fetch_add(p + 1, Ordering::Relaxed);
            });
            assert_eq!(sum.into_inner(), 6);
        });
    }

    /// A team led by a thread outside every pool takes its helpers from the global pool.
    #[test]
    fn a_team_outside_any_pool() {
        let sum = std::thread::spawn(|| {
            let team = Team::new();
            let sum = AtomicUsize::new(0);
            for _ in 0..100 {
                team.parallelism().for_each_part(8, |p, _| {
                    sum.fetch_add(p, Ordering::Relaxed);
                });
            }
            sum.into_inner()
        })
        .join()
        .expect("the team's thread finishes");
        assert_eq!(sum, 100 * 28);
    }

    /// Work posted to a team of two really runs on the second thread, sooner or later.
    #[test]
    fn helpers_take_parts() {
        pool(2).install(|| {
            let leader = thread::current().id();
            let elsewhere = AtomicUsize::new(0);
            let team = Team::new();
            let start = Instant::now();
            while elsewhere.load(Ordering::Relaxed) == 0 && start.elapsed().as_secs() < 30 {
                team.parallelism().for_each_part(2, |_, _| {
                    if thread::current().id() != leader {
                        elsewhere.fetch_add(1, Ordering::Relaxed);
                    }
                    thread::sleep(Duration::from_micros(100));
                });
            }
            assert!(elsewhere.load(Ordering::Relaxed) > 0);
        });
    }

    /// `join` returns both results; a part that posts to the team it runs in (through a
    /// captured parallelism) runs its parts itself; a dropped team's parallelism still works.
    #[test]
    fn join_nesting_and_a_dropped_team() {
        pool(2).install(|| {
            let team = Team::new();
            let outer = team.parallelism();
            let (a, b) = outer.join(
                |_| {
                    let sum = AtomicUsize::new(0);
                    outer.for_each_part(5, |p, _| {
                        sum.fetch_add(p, Ordering::Relaxed);
                    });
                    sum.into_inner()
                },
                |inner| inner.join(|_| 1, |_| 2),
            );
            assert_eq!((a, b), (10, (1, 2)));
            drop(team);
            assert_eq!(outer.join(|_| 3, |_| 4), (3, 4));
        });
    }

    /// A panicking part reaches the poster once every other part has finished, and the team
    /// takes the next job.
    #[test]
    fn a_part_panic_reaches_the_poster() {
        pool(2).install(|| {
            let team = Team::new();
            let par = team.parallelism();
            let finished = AtomicUsize::new(0);
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                par.for_each_part(4, |p, _| {
                    if p == 1 {
                        panic!("part 1 fails");
                    }
                    finished.fetch_add(1, Ordering::Relaxed);
                })
            }));
            let payload = result.expect_err("the panic propagates");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"part 1 fails"));
            assert_eq!(finished.load(Ordering::Relaxed), 3);
            assert_eq!(par.join(|_| 5, |_| 6), (5, 6));
        });
    }

    /// A part packs into the buffers of the thread running it (the leader's own outside a job
    /// too), and they are already big enough for the largest block: they never move.
    #[test]
    fn a_part_uses_its_threads_buffers() {
        pool(2).install(|| {
            let team = Team::new();
            let par = team.parallelism();
            let largest = crate::gemm::PACKED_BYTES[0] / size_of::<f64>();
            let address = |par: &Parallelism, len: usize| {
                par.with_scratch(|s| s.buffers::<f64>(len, 0).0.as_ptr() as usize)
            };
            let leader = address(&par, 1000);
            assert_eq!(
                address(&par, largest),
                leader,
                "the largest block fits as made"
            );
            let seen: Mutex<HashSet<(ThreadId, usize)>> = Mutex::new(HashSet::new());
            let start = Instant::now();
            let threads = || {
                let seen = seen.lock().unwrap();
                seen.iter().map(|(t, _)| *t).collect::<HashSet<_>>().len()
            };
            while threads() < 2 && start.elapsed().as_secs() < 30 {
                par.for_each_part(2, |p, inner| {
                    let len = if p == 0 { largest } else { 1000 };
                    let at = address(inner, len);
                    seen.lock().unwrap().insert((thread::current().id(), at));
                    thread::sleep(Duration::from_micros(100));
                });
            }
            let seen = seen.into_inner().unwrap();
            assert_eq!(
                seen.len(),
                2,
                "one buffer per thread, whatever part it ran: {seen:?}"
            );
            let here = thread::current().id();
            assert!(
                seen.contains(&(here, leader)),
                "the leader's parts use its own buffers"
            );
        });
    }
}
