//! Which microkernels run: detected once per process, overridable by `LOWRANK_KERNEL`.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// The environment variable that forces a kernel: `avx512`, `avx2` or `portable`.
pub const KERNEL_ENV: &str = "LOWRANK_KERNEL";

/// A family of GEMM microkernels, one per instruction set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelKind {
    /// AVX-512 kernels on zmm registers (x86-64 with AVX-512F and VL: the VL extension lets
    /// the horizontal sums use all 32 registers), with AVX2 + FMA ymm vectors for the half-width
    /// ends of ragged tiles.
    Avx512,
    /// AVX2 + FMA kernels on ymm registers (x86-64 only).
    Avx2,
    /// Portable kernels written with `wide`: correct on every CPU, fast where the build enables
    /// vector features.
    Portable,
}

impl KernelKind {
    /// Every kind, fastest first.
    pub const ALL: [KernelKind; 3] = [KernelKind::Avx512, KernelKind::Avx2, KernelKind::Portable];

    /// The name accepted by `LOWRANK_KERNEL` and shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Avx512 => "avx512",
            KernelKind::Avx2 => "avx2",
            KernelKind::Portable => "portable",
        }
    }

    /// True when this CPU can run the kind's instructions.
    pub fn is_supported(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && KernelKind::Avx2.is_supported()
            }
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            KernelKind::Avx512 | KernelKind::Avx2 => false,
            KernelKind::Portable => true,
        }
    }

    /// The fastest kind this CPU supports.
    pub fn best_supported() -> KernelKind {
        Self::ALL
            .into_iter()
            .find(|kind| kind.is_supported())
            .unwrap_or(KernelKind::Portable)
    }
}

impl fmt::Display for KernelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A kernel name that is not one of `avx512`, `avx2`, `portable`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKernel(pub String);

impl fmt::Display for UnknownKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown GEMM kernel {:?}: expected avx512, avx2 or portable",
            self.0
        )
    }
}

impl std::error::Error for UnknownKernel {}

impl FromStr for KernelKind {
    type Err = UnknownKernel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownKernel(s.to_owned()))
    }
}

/// The kernel `gemm` uses: `LOWRANK_KERNEL` if it names a kind this CPU supports, else the
/// fastest supported one. Decided on the first call and cached for the life of the process; a
/// bad or unsupported `LOWRANK_KERNEL` is reported once on stderr and ignored.
pub fn selected_kernel() -> KernelKind {
    static SELECTED: OnceLock<KernelKind> = OnceLock::new();
    *SELECTED.get_or_init(|| {
        let best = KernelKind::best_supported();
        let Some(requested) = std::env::var_os(KERNEL_ENV) else {
            return best;
        };
        match requested.to_string_lossy().parse::<KernelKind>() {
            Ok(kind) if kind.is_supported() => kind,
            Ok(kind) => {
                eprintln!(
                    "warning: {KERNEL_ENV}={kind} but this CPU lacks its instructions; using {best}"
                );
                best
            }
            Err(err) => {
                eprintln!("warning: {KERNEL_ENV}: {err}; using {best}");
                best
            }
        }
    })
}
