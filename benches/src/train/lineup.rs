//! The peers asked for across a whole benchmark run: each is run per workload and thread count,
//! its pinning and compile time noted; one that is not installed is noted once and left out.

use super::peers::{Outcome, Peer, PeerRun, Request, run};
use super::report::{PeerFigure, PeerInfo};

/// The peers of one benchmark run and what became of each.
#[derive(Clone, Debug)]
pub struct Lineup {
    peers: Vec<(Peer, PeerInfo)>,
}

impl Lineup {
    /// A lineup of `peers`, in this order.
    pub fn new(peers: &[Peer]) -> Self {
        Self {
            peers: peers
                .iter()
                .map(|&p| {
                    let info = PeerInfo {
                        peer: p.name().to_string(),
                        version: None,
                        skipped: None,
                    };
                    (p, info)
                })
                .collect(),
        }
    }

    /// Runs every peer not skipped on `workload` in `dtype` at `threads` threads, printing a line
    /// per peer to stderr: its figure, the cores it was pinned to and used, its compile time; or
    /// the note saying it is not installed (once). Errors if a peer fails (a wrong loss, a crash).
    pub fn run(
        &mut self,
        threads: usize,
        workload: &str,
        dtype: &str,
        samples: usize,
        quick: bool,
    ) -> Result<Vec<PeerFigure>, String> {
        let mut figures = Vec::new();
        for (peer, info) in &mut self.peers {
            if info.skipped.is_some() {
                continue;
            }
            let request = Request {
                peer: *peer,
                threads,
                workload,
                dtype,
                samples,
                quick,
            };
            match run(&request)? {
                Outcome::Skipped(note) => {
                    eprintln!("train-step: peer {} skipped: {note}", peer.name());
                    info.skipped = Some(note);
                }
                Outcome::Ran(ran) => {
                    if let Some(figure) = figure(&request, &ran) {
                        figures.push(figure);
                    }
                    info.version = Some(ran.version);
                }
            }
        }
        Ok(figures)
    }

    /// What became of each peer, in order.
    pub fn into_infos(self) -> Vec<PeerInfo> {
        self.peers.into_iter().map(|(_, info)| info).collect()
    }
}

/// The figure `ran` has for `request`, printed with its pinning and compile time, and a warning
/// when the peer was not confined to as many cores as threads asked for.
fn figure(request: &Request, ran: &PeerRun) -> Option<PeerFigure> {
    let timing = ran.get(request.workload, request.dtype)?;
    eprintln!(
        "  {} {} {} {}: {:.1} µs/step; pinned to cores {} ({} threads in the process), {:.2} \
         cores busy; checked first steps (compiling) {:.2} s",
        request.peer.name(),
        ran.version,
        request.workload,
        request.dtype,
        timing.median_us,
        ran.cpus,
        ran.process_threads,
        timing.cores_used,
        timing.first_steps_s
    );
    if ran.core_count() != request.threads {
        eprintln!(
            "train-step: peer {} asked for {} threads ran on cores {}",
            request.peer.name(),
            request.threads,
            ran.cpus
        );
    }
    Some(PeerFigure {
        peer: request.peer.name().to_string(),
        cpus: ran.cpus.clone(),
        timing: timing.clone(),
    })
}
