//! The claims a run is judged on: each declared once ([`catalogue`]) as a [`ClaimSpec`] (what it
//! states, where it comes from, what it measures over which layers, the threshold and the
//! premises), judged on a run's record into a [`Claim`] with its verdict, and summarized over
//! seeds ([`seeds`]).

pub mod catalogue;
pub mod completion;
mod declare;
pub mod direction;
pub mod leaky;
pub mod seeds;
mod verdict;

pub use declare::{
    ClaimSpec, Over, Quantity, Reduce, SERIES_POINTS, Source, help, in_judging_order, judge_all,
    markdown_table,
};
pub use seeds::{OverSeeds, over_seeds};
pub use verdict::{Claim, Threshold, Verdict, fmt_value};
