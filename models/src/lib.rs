//! `models`: the networks the theory talks about, the rules that train them, and checkpoints.
//!
//! - [`arch`]: the architecture grammar (`20,relu:100,res(relu),linear:20,1`) and its errors;
//! - [`init`]: seeded weight initializers;
//! - [`layers`]: the inspectable list of weight matrices and which feed which;
//! - [`network`]: the network itself, on an `autodiff` tape;
//! - [`rule`] and [`train`](mod@train): step rules and the training loop;
//! - [`checkpoint`]: safetensors files with the architecture in their metadata;
//! - [`atomic`]: the one atomic file writer of the workspace (checkpoints, metrics, reports).
//!
//! A network, its checkpoint, and the network back:
//!
//! ```
//! use autodiff::Tensor;
//! use models::{Arch, Init, Network, load, save};
//!
//! let arch: Arch = "4,relu:6,linear:5,1".parse().unwrap();
//! let mut net = Network::<f64>::new(&arch, Init::Gaussian { scale: 0.5 }, 1);
//! let path = std::env::temp_dir().join(format!("models-doc-{}.safetensors", std::process::id()));
//! save(&net, &path).unwrap();
//! let mut back: Network<f64> = load(&path).unwrap();
//! assert_eq!(back.arch().to_string(), "4,relu:6,linear:5,1");
//! let x = Tensor::from_vec(vec![0.5; 8], &[2, 4]).unwrap();
//! assert_eq!(back.predict(&x).data(), net.predict(&x).data());
//! std::fs::remove_file(&path).unwrap();
//! ```

pub mod arch;
pub mod atomic;
pub mod checkpoint;
pub mod init;
pub mod layers;
pub mod network;
pub mod rule;
pub mod train;

pub use arch::{Activation, Arch, ArchError, LayerSpec, Marks, Skip};
pub use autodiff::MarginLoss;
pub use checkpoint::{
    Attachments, CheckpointError, load, load_training, load_weights_into, save, save_training,
    save_with_notes,
};
pub use init::Init;
pub use layers::{LayerInfo, LayerKind};
pub use network::{Network, record_forward};
pub use rule::StepRule;
pub use train::{
    Control, Observer, StepInfo, StopReason, TrainConfig, TrainError, TrainOutcome, TrainState,
    Trainer, train, train_with,
};
