//! Criterion's wall-clock measurement with FLOP rates: a group's `Throughput::Elements(n)` is n
//! floating-point operations per iteration, shown in GFLOP/s (criterion itself would say
//! "Gelem/s"). Times, and every other throughput, are shown as criterion shows them.

use std::time::{Duration, Instant};

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// [`WallTime`], its element throughputs shown as FLOP rates.
pub struct FlopRate;

impl Measurement for FlopRate {
    type Intermediate = Instant;
    type Value = Duration;

    fn start(&self) -> Instant {
        WallTime.start()
    }

    fn end(&self, start: Instant) -> Duration {
        WallTime.end(start)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        WallTime.add(a, b)
    }

    fn zero(&self) -> Duration {
        WallTime.zero()
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        WallTime.to_f64(value)
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &FlopFormatter
    }
}

/// The formatter of [`FlopRate`]: values in nanoseconds, as [`WallTime`]'s.
struct FlopFormatter;

impl ValueFormatter for FlopFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        WallTime.formatter().scale_values(typical, values)
    }

    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        match *throughput {
            Throughput::Elements(flops) => {
                // n flops in t nanoseconds are n / t GFLOP/s; one unit for every size, so that
                // figures compare at a glance (and with the roofline's).
                for v in values {
                    *v = flops as f64 / *v;
                }
                "GFLOP/s"
            }
            ref other => WallTime
                .formatter()
                .scale_throughputs(typical, other, values),
        }
    }

    fn scale_for_machines(&self, values: &mut [f64]) -> &'static str {
        WallTime.formatter().scale_for_machines(values)
    }
}
