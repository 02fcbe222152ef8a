//! Fork–join for the parallel parts of the kernels, and teams that keep threads on hand for them.
//!
//! Rayon puts an idle worker to sleep after some tens of microseconds, and waking it costs more
//! than a small product gains from a second thread. Measured on this machine, a 200×100×100 f32
//! product took 22 µs on two threads back to back, but 55 µs after 100 µs of idleness, against
//! 40 µs on one thread. A training step runs dozens of such products with elementwise work in
//! between, so each would pay the wake-up. Inside a [`team`] region the pool's other threads poll
//! a shared slot instead of sleeping, and [`for_each_part`] and [`join`] hand them work through
//! it; the thread that posts a job claims parts too, so it never waits for a helper that has not
//! arrived. Outside a team both go to rayon as usual.
//!
//! Which thread runs a part never changes a result: parts write disjoint outputs, and how a
//! product is cut into parts does not depend on who runs them.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

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

/// Runs `f` with the current rayon pool's other threads standing by for the parallel parts of
/// the kernels it calls (see the module docs); returns what `f` returns.
///
/// The helpers occupy the pool's other threads until `f` returns, so work `f` hands to rayon
/// directly runs on the calling thread alone; the kernels' own parallelism goes through the
/// team. A team inside a team, or on a pool of one thread, just runs `f`.
pub fn team<R>(f: impl FnOnce() -> R) -> R {
    let threads = rayon::current_num_threads();
    if threads == 1 || !OWNED.get().is_null() || IN_PART.get() {
        return f();
    }
    let shared = Shared::default();
    rayon::in_place_scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|_| shared.serve());
        }
        // Ends the helpers' polling however `f` leaves, so the scope can close.
        let _stop = StopOnDrop(&shared);
        OWNED.set(&shared);
        let _owned = ClearOnDrop;
        f()
    })
}

/// Whether the calling thread leads a team: its parallel parts are handed over cheaply.
pub fn in_team() -> bool {
    !OWNED.get().is_null() && !IN_PART.get()
}

/// Runs `f(0)`, …, `f(parts − 1)`, in parallel when there are threads for it: through the team
/// when the calling thread leads one, serially inside a part that is already running in a team,
/// else on the rayon pool. Returns when every part has run.
pub fn for_each_part(parts: usize, f: impl Fn(usize) + Sync) {
    let owned = OWNED.get();
    if parts <= 1 || IN_PART.get() {
        (0..parts).for_each(f);
    } else if !owned.is_null() && parts <= MAX_PARTS {
        // SAFETY: `OWNED` points at the `Shared` of the team this thread leads, which lives
        // until the team's closure returns, and this call is inside that closure.
        unsafe { &*owned }.run(parts, &f);
    } else {
        (0..parts).into_par_iter().for_each(&f);
    }
}

/// Runs `a` and `b`, in parallel when there are threads for it (as [`for_each_part`] decides),
/// and returns both results.
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if !in_team() {
        return rayon::join(a, b);
    }
    let (a, b) = (Mutex::new(Some(a)), Mutex::new(Some(b)));
    let (ra, rb) = (Mutex::new(None), Mutex::new(None));
    for_each_part(2, |part| {
        if part == 0 {
            let a = take(&a).expect("part 0 runs once");
            *ra.lock().unwrap_or_else(|e| e.into_inner()) = Some(a());
        } else {
            let b = take(&b).expect("part 1 runs once");
            *rb.lock().unwrap_or_else(|e| e.into_inner()) = Some(b());
        }
    });
    let done = "both parts ran";
    (take(&ra).expect(done), take(&rb).expect(done))
}

/// Multiply–adds of the smaller of two independent products below which [`join_products`] runs
/// them one after the other: handing one to another thread costs more than it saves. The two
/// products of a layer's backward pass (input and weight gradient) are the parallelism a small
/// network has when each product is too small to split.
pub const MIN_FMAS_TO_JOIN: usize = 1 << 18;

/// Runs two independent products of `fmas[0]` and `fmas[1]` multiply–adds, each writing its own
/// output: at once (through [`join`]) when the pool has several threads and both are worth at
/// least [`MIN_FMAS_TO_JOIN`], else one after the other. The arithmetic is the same either way.
pub fn join_products(fmas: [usize; 2], first: impl FnOnce() + Send, second: impl FnOnce() + Send) {
    if fmas[0].min(fmas[1]) >= MIN_FMAS_TO_JOIN && rayon::current_num_threads() > 1 {
        join(first, second);
    } else {
        first();
        second();
    }
}

/// The value in a slot, taken out.
fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

thread_local! {
    /// The team this thread leads, or null.
    static OWNED: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
    /// Whether this thread is running a part of a team's job (nested parallelism runs serially).
    static IN_PART: Cell<bool> = const { Cell::new(false) };
}

/// Parts of one job: the ticket counts them in 16 bits.
const MAX_PARTS: usize = 0xffff;

/// A job as the helpers see it: the leader's closure, its lifetime erased.
type JobRef = *const (dyn Fn(usize) + Sync + 'static);

/// What the leader and helpers of a team share.
struct Shared {
    /// `parts << 16 | next unclaimed part`, with a generation count above, so that a claim
    /// (one compare-and-swap) names the job and the part together.
    ticket: AtomicU64,
    /// The current job; the leader writes it only while no part of the previous one runs.
    job: UnsafeCell<Option<JobRef>>,
    /// Parts of the current job claimed or unclaimed but not finished.
    pending: AtomicUsize,
    /// The panic of a part, re-raised by the leader once every part has finished.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Set when the team's closure has returned: the helpers leave.
    stop: AtomicBool,
}

// SAFETY: `job` is written by the leader only between jobs (no part running, every part
// claimed), and read by a helper only after it has claimed a part of the job it reads, which
// keeps the leader from starting the next one; the rest are atomics and a mutex.
unsafe impl Sync for Shared {}

impl Default for Shared {
    fn default() -> Self {
        Self {
            ticket: AtomicU64::new(0),
            job: UnsafeCell::new(None),
            pending: AtomicUsize::new(0),
            panic: Mutex::new(None),
            stop: AtomicBool::new(false),
        }
    }
}

impl Shared {
    /// Posts `f` as a job of `parts` parts, runs parts until none is left unclaimed, waits for
    /// the parts helpers claimed, then re-raises a part's panic if there was one.
    fn run(&self, parts: usize, f: &(dyn Fn(usize) + Sync)) {
        // SAFETY: only the lifetime is erased. The pointer is dereferenced only by a thread
        // holding a claimed part of this job, and this function returns only once `pending`
        // shows every part finished, so `f` outlives every use.
        let job: JobRef = unsafe { std::mem::transmute(f) };
        // SAFETY: the previous job's parts are all claimed and finished (`run` waited for
        // them), so no helper reads `job` now (see `Shared`'s Sync note).
        unsafe { *self.job.get() = Some(job) };
        self.pending.store(parts, Ordering::Relaxed);
        let generation = (self.ticket.load(Ordering::Relaxed) >> 32) + 1;
        // Release: a helper that sees this ticket sees the job and `pending` above.
        self.ticket
            .store(generation << 32 | (parts as u64) << 16, Ordering::Release);
        while self.claim_and_run() {}
        let mut polls = 0u32;
        while self.pending.load(Ordering::Acquire) != 0 {
            pause(&mut polls);
        }
        let panic = self.panic.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(payload) = panic {
            panic::resume_unwind(payload);
        }
    }

    /// Claims the next part of the current job and runs it; false when none is left.
    fn claim_and_run(&self) -> bool {
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
        // the leader is still inside `run` for it: `job` holds that job and its closure lives.
        let job = unsafe { (*self.job.get()).expect("a posted job") };
        let was_in_part = IN_PART.replace(true);
        // SAFETY: as above, the closure behind `job` is alive until `pending` reaches zero.
        let result = panic::catch_unwind(AssertUnwindSafe(|| unsafe { (*job)(part) }));
        IN_PART.set(was_in_part);
        if let Err(payload) = result {
            *self.panic.lock().unwrap_or_else(|e| e.into_inner()) = Some(payload);
        }
        // Release: the leader, seeing the count drop, sees what the part wrote.
        self.pending.fetch_sub(1, Ordering::Release);
        true
    }

    /// A helper's loop: run parts as they are posted until the team stops.
    fn serve(&self) {
        let mut idle_since = Instant::now();
        let mut polls = 0u32;
        let mut nap = NAP;
        loop {
            if self.claim_and_run() {
                idle_since = Instant::now();
                nap = NAP;
            } else if self.stop.load(Ordering::Acquire) {
                return;
            } else if idle_since.elapsed() < HOT_POLL {
                pause(&mut polls);
            } else {
                std::thread::park_timeout(nap);
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
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// Polls between two yields of a waiting thread: some tens of microseconds.
const POLLS_PER_YIELD: u32 = 256;

/// Tells the helpers to leave when dropped.
struct StopOnDrop<'a>(&'a Shared);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Release);
    }
}

/// Forgets the team this thread leads when dropped.
struct ClearOnDrop;

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        OWNED.set(std::ptr::null());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a small rayon pool")
    }

    /// Every part runs exactly once, in and out of a team, on 1 and 3 threads, for many jobs in
    /// a row (so that consecutive generations cannot mix).
    #[test]
    fn every_part_runs_once() {
        for threads in [1, 3] {
            pool(threads).install(|| {
                for in_team in [false, true] {
                    let body = || {
                        for parts in [0, 1, 2, 3, 7, 64] {
                            for _ in 0..200 {
                                let hits: Vec<AtomicUsize> =
                                    (0..parts).map(|_| AtomicUsize::new(0)).collect();
                                for_each_part(parts, |p| {
                                    hits[p].fetch_add(1, Ordering::Relaxed);
                                });
                                let counts: Vec<usize> =
                                    hits.iter().map(|h| h.load(Ordering::Relaxed)).collect();
                                assert_eq!(counts, vec![1; parts], "{threads} threads, {parts}");
                            }
                        }
                    };
                    if in_team { team(body) } else { body() }
                }
            });
        }
    }

    /// A panic in the team's closure itself (outside any part) stops the helpers and leaves the
    /// thread free to lead the next team.
    #[test]
    fn a_panicking_leader_closes_its_team() {
        pool(2).install(|| {
            let result = panic::catch_unwind(AssertUnwindSafe(|| team(|| panic!("leader fails"))));
            assert!(result.is_err());
            assert!(!in_team());
            let sum = team(|| {
                assert!(in_team());
                let sum = AtomicUsize::new(0);
                for_each_part(3, |p| {
                    sum.fetch_add(p + 1, Ordering::Relaxed);
                });
                sum.into_inner()
            });
            assert_eq!(sum, 6);
        });
    }

    /// A team led by a thread outside every pool takes its helpers from the global pool.
    #[test]
    fn a_team_outside_any_pool() {
        let sum = std::thread::spawn(|| {
            team(|| {
                let sum = AtomicUsize::new(0);
                for _ in 0..100 {
                    for_each_part(8, |p| {
                        sum.fetch_add(p, Ordering::Relaxed);
                    });
                }
                sum.into_inner()
            })
        })
        .join()
        .expect("the team's thread finishes");
        assert_eq!(sum, 100 * 28);
    }

    /// Work posted to a team of two really runs on the second thread, sooner or later.
    #[test]
    fn helpers_take_parts() {
        pool(2).install(|| {
            let leader = std::thread::current().id();
            let elsewhere = AtomicUsize::new(0);
            team(|| {
                let start = Instant::now();
                while elsewhere.load(Ordering::Relaxed) == 0 && start.elapsed().as_secs() < 30 {
                    for_each_part(2, |_| {
                        if std::thread::current().id() != leader {
                            elsewhere.fetch_add(1, Ordering::Relaxed);
                        }
                        std::thread::sleep(Duration::from_micros(100));
                    });
                }
            });
            assert!(elsewhere.load(Ordering::Relaxed) > 0);
        });
    }

    /// `join` returns both results, nested parallelism inside a part runs to completion, and a
    /// team inside a team is the same team.
    #[test]
    fn join_and_nesting() {
        pool(2).install(|| {
            let (a, b) = team(|| {
                join(
                    || {
                        let sum = AtomicUsize::new(0);
                        for_each_part(5, |p| {
                            sum.fetch_add(p, Ordering::Relaxed);
                        });
                        sum.into_inner()
                    },
                    || team(|| join(|| 1, || 2)),
                )
            });
            assert_eq!((a, b), (10, (1, 2)));
        });
    }

    /// A panicking part reaches the leader once every other part has finished, and the team
    /// still closes.
    #[test]
    fn a_part_panic_reaches_the_leader() {
        pool(2).install(|| {
            let finished = AtomicUsize::new(0);
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                team(|| {
                    for_each_part(4, |p| {
                        if p == 1 {
                            panic!("part 1 fails");
                        }
                        finished.fetch_add(1, Ordering::Relaxed);
                    })
                })
            }));
            let payload = result.expect_err("the panic propagates");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"part 1 fails"));
            assert_eq!(finished.load(Ordering::Relaxed), 3);
        });
    }
}
