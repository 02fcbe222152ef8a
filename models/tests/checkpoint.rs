//! Checkpoints: round trips for every network kind in f32 and f64, the file layout other tools
//! read, and every way a file can be missing, damaged or mismatched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use autodiff::{Element, Tensor};
use models::{Arch, CheckpointError, Init, Network, load, load_weights_into, save};
use safetensors::SafeTensors;

const KINDS: [&str; 7] = [
    "3,relu:5,leaky(0.2):4,1",
    "3,linear:4,linear:4,1",
    "3,relu:4+bias,linear:3,1",
    "3,relu:4,res(relu),res(linear),linear:3,1",
    "3,leaky(0.5):4+bias,resz(relu),res(relu),linear:2,1",
    "3,relu:5,2",
    "3,relu:4,resid(relu),linear:3,1",
];

/// A fresh folder per test, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("models-ckpt-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn net<T: Element>(s: &str, seed: u64) -> Network<T> {
    let arch: Arch = s.parse().unwrap();
    let mut n = Network::<T>::new(&arch, Init::Gaussian { scale: 1.0 }, seed);
    if let Some(b) = n.bias_mut() {
        b.data_mut()
            .iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = T::from_f64(0.25 * i as f64 - 0.3));
    }
    n
}

fn round_trip<T: Element>(dir: &Dir) {
    let x = Tensor::<T>::from_vec(
        (0..12).map(|i| T::from_f64(0.1 * i as f64 - 0.5)).collect(),
        &[4, 3],
    )
    .unwrap();
    for (i, s) in KINDS.iter().enumerate() {
        let mut original = net::<T>(s, i as u64);
        let path = dir.file(&format!("{i}-{}.safetensors", T::NAME));
        save(&original, &path).unwrap();
        let mut loaded = load::<T>(&path).unwrap();
        assert_eq!(loaded.arch(), original.arch(), "{s}");
        assert_eq!(loaded.named_params(), original.named_params(), "{s}");
        assert_eq!(loaded.predict(&x), original.predict(&x), "{s}");
        let mut other = net::<T>(s, 100 + i as u64);
        assert_ne!(other.named_params(), original.named_params());
        load_weights_into(&mut other, &path).unwrap();
        assert_eq!(other.named_params(), original.named_params(), "{s}");
    }
}

#[test]
fn round_trip_every_kind_in_f32_and_f64() {
    let dir = Dir::new("roundtrip");
    round_trip::<f32>(&dir);
    round_trip::<f64>(&dir);
}

#[test]
fn the_file_is_plain_safetensors_with_pytorch_names_and_shapes() {
    let dir = Dir::new("layout");
    let n = net::<f32>(KINDS[4], 1);
    let path = dir.file("m.safetensors");
    save(&n, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "blocks.0.u.weight",
            "blocks.0.y.weight",
            "blocks.0.z.weight",
            "blocks.1.u.weight",
            "blocks.1.y.weight",
            "layers.0.bias",
            "layers.0.weight",
            "layers.1.weight",
            "layers.2.weight",
        ]
    );
    let w = st.tensor("layers.1.weight").unwrap();
    assert_eq!(w.shape(), [2, 4]);
    assert_eq!(w.dtype(), safetensors::Dtype::F32);
    let first = f32::from_le_bytes(w.data()[..4].try_into().unwrap());
    assert_eq!(first, n.weight(6).data()[0]);
    assert_eq!(st.tensor("layers.0.bias").unwrap().shape(), [4]);
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["arch"], KINDS[4]);
    assert_eq!(meta["dtype"], "f32");
    assert_eq!(meta["format"], "lowrank");
    // Only the checkpoint itself is left in the folder: the temporary file was renamed.
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1);
}

fn message(e: CheckpointError, path: &Path) -> String {
    let m = e.to_string();
    assert!(m.contains(&path.display().to_string()), "{m}");
    m
}

/// Rewrites a checkpoint's tensors and metadata through `edit` (names → (name, data)).
fn rewrite(
    src: &Path,
    dst: &Path,
    edit: impl FnOnce(
        &mut Vec<(String, safetensors::tensor::TensorView<'_>)>,
        &mut HashMap<String, String>,
    ),
) {
    let bytes = std::fs::read(src).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = meta.metadata().clone().unwrap();
    let mut tensors = st.tensors();
    edit(&mut tensors, &mut meta);
    let out = safetensors::serialize(tensors, Some(meta)).unwrap();
    std::fs::write(dst, out).unwrap();
}

#[test]
fn missing_truncated_and_corrupted_files_are_errors_naming_the_file() {
    let dir = Dir::new("corrupt");
    let good = dir.file("good.safetensors");
    save(&net::<f64>(KINDS[3], 0), &good).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    let missing = dir.file("missing.safetensors");
    let m = message(load::<f64>(&missing).unwrap_err(), &missing);
    assert!(m.contains("No such file"), "{m}");

    let cut = dir.file("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() - 16]).unwrap();
    let m = message(load::<f64>(&cut).unwrap_err(), &cut);
    assert!(m.contains("truncated"), "{m}");

    std::fs::write(&cut, &bytes[..20]).unwrap();
    let m = message(load::<f64>(&cut).unwrap_err(), &cut);
    assert!(m.contains("truncated inside its header"), "{m}");

    std::fs::write(&cut, b"").unwrap();
    let m = message(load::<f64>(&cut).unwrap_err(), &cut);
    assert!(m.contains("not a safetensors file"), "{m}");

    let bad = dir.file("bad.safetensors");
    let mut broken = bytes.clone();
    broken[8] = b'[';
    broken[12] = 0xff;
    std::fs::write(&bad, &broken).unwrap();
    let m = message(load::<f64>(&bad).unwrap_err(), &bad);
    assert!(m.contains("corrupted header"), "{m}");
}

#[test]
fn mismatched_names_shapes_and_dtypes_are_errors() {
    let dir = Dir::new("mismatch");
    let good = dir.file("good.safetensors");
    let original = net::<f64>(KINDS[4], 0);
    save(&original, &good).unwrap();
    let mut target = net::<f64>(KINDS[4], 1);
    let before = target
        .named_params()
        .iter()
        .map(|(_, t)| (*t).clone())
        .collect::<Vec<_>>();

    let renamed = dir.file("renamed.safetensors");
    rewrite(&good, &renamed, |t, _| {
        let i = t
            .iter()
            .position(|(n, _)| n == "blocks.0.z.weight")
            .unwrap();
        t[i].0 = "blocks.0.w.weight".to_string();
    });
    let m = message(load::<f64>(&renamed).unwrap_err(), &renamed);
    assert!(m.contains("tensor `blocks.0.z.weight` is missing"), "{m}");

    let extra = dir.file("extra.safetensors");
    rewrite(&good, &extra, |t, _| {
        let copy = t[0].1.clone();
        t.push(("layers.9.weight".to_string(), copy));
    });
    let m = message(load::<f64>(&extra).unwrap_err(), &extra);
    assert!(m.contains("unexpected tensor `layers.9.weight`"), "{m}");

    let wider = dir.file("wider.safetensors");
    save(
        &net::<f64>("3,leaky(0.5):5+bias,resz(relu),res(relu),linear:2,1", 0),
        &wider,
    )
    .unwrap();
    let m = message(load_weights_into(&mut target, &wider).unwrap_err(), &wider);
    assert!(
        m.contains("tensor `layers.0.weight` has shape [5, 3]") && m.contains("[4, 3]"),
        "{m}"
    );

    let single = dir.file("single.safetensors");
    save(&original.cast::<f32>(), &single).unwrap();
    let m = message(
        load_weights_into(&mut target, &single).unwrap_err(),
        &single,
    );
    assert!(m.contains("is f32, the network is f64"), "{m}");
    let m = message(load::<f64>(&single).unwrap_err(), &single);
    assert!(m.contains("stored as f32 but were requested as f64"), "{m}");
    assert_eq!(
        load::<f32>(&single).unwrap().named_params(),
        original.cast::<f32>().named_params()
    );

    // A failed load leaves the network untouched.
    let after = target
        .named_params()
        .iter()
        .map(|(_, t)| (*t).clone())
        .collect::<Vec<_>>();
    assert_eq!(before, after);
}

#[test]
fn bad_metadata_is_an_error() {
    let dir = Dir::new("metadata");
    let good = dir.file("good.safetensors");
    save(&net::<f64>(KINDS[0], 0), &good).unwrap();
    type Edit = fn(&mut HashMap<String, String>);
    let cases: [(&str, Edit, &str); 4] = [
        ("noarch", |m| drop(m.remove("arch")), "no `arch` entry"),
        (
            "badarch",
            |m| drop(m.insert("arch".into(), "3,relu:x,1".into())),
            "does not parse: architecture part 2 `relu:x`",
        ),
        (
            "format",
            |m| drop(m.insert("format".into(), "other".into())),
            "format is `other`",
        ),
        ("nodtype", |m| drop(m.remove("dtype")), "no `dtype` entry"),
    ];
    for (name, edit, expected) in cases {
        let path = dir.file(&format!("{name}.safetensors"));
        rewrite(&good, &path, |_, m| edit(m));
        let m = message(load::<f64>(&path).unwrap_err(), &path);
        assert!(
            m.contains("metadata") && m.contains(expected),
            "{name}: {m}"
        );
    }
}

#[test]
fn saving_into_a_missing_folder_is_an_error() {
    let dir = Dir::new("nofolder");
    let path = dir.file("absent/m.safetensors");
    let m = message(save(&net::<f32>(KINDS[0], 0), &path).unwrap_err(), &path);
    assert!(m.contains("No such file"), "{m}");
}

#[test]
fn a_metadata_architecture_that_disagrees_with_the_tensors_is_refused_before_allocating() {
    let dir = Dir::new("lying-arch");
    let good = dir.file("good.safetensors");
    save(&net::<f32>("10,linear:10,1", 0), &good).unwrap();
    let cases = [
        (
            "10,linear:100000000000,1",
            "tensor `layers.0.weight` has shape [10, 10], the metadata architecture \
             `10,linear:100000000000,1` needs [100000000000, 10]",
        ),
        (
            // Refused by the grammar itself: its weights cannot be counted.
            "2,linear:18446744073709551615,1",
            "does not parse: architecture `2,linear:18446744073709551615,1` has more than \
             18446744073709551615 weights",
        ),
        (
            "10,linear:10+bias,1",
            "tensor `layers.0.bias` is missing (the metadata architecture `10,linear:10+bias,1`)",
        ),
        (
            "10,linear:10,res(relu),1",
            "tensor `blocks.0.y.weight` is missing (the metadata architecture \
             `10,linear:10,res(relu),1`)",
        ),
        (
            "10,linear:10,linear:10,1",
            "tensor `layers.1.weight` has shape [1, 10], the metadata architecture \
             `10,linear:10,linear:10,1` needs [10, 10]",
        ),
        (
            "10,1000000000000",
            "does not parse: architecture `10,1000000000000` has 2 comma-separated part(s)",
        ),
    ];
    for (i, (arch, expected)) in cases.into_iter().enumerate() {
        let path = dir.file(&format!("{i}.safetensors"));
        rewrite(&good, &path, |_, m| {
            drop(m.insert("arch".into(), arch.into()))
        });
        let m = message(load::<f32>(&path).unwrap_err(), &path);
        assert!(m.contains(expected), "{arch}: {m}");
    }
    let path = dir.file("relu.safetensors");
    rewrite(&good, &path, |_, m| {
        drop(m.insert("arch".into(), "10,relu:10,1".into()))
    });
    assert_eq!(
        load::<f32>(&path).unwrap().arch().to_string(),
        "10,relu:10,1"
    );
}

#[test]
fn weights_load_only_into_the_architecture_their_file_records() {
    let dir = Dir::new("init-arch");
    let relu = dir.file("relu.safetensors");
    let original = net::<f64>("10,relu:10,1", 0);
    save(&original, &relu).unwrap();
    let mut linear = net::<f64>("10,linear:10,1", 1);
    let before: Vec<Tensor<f64>> = linear
        .named_params()
        .iter()
        .map(|(_, t)| (*t).clone())
        .collect();
    let m = message(load_weights_into(&mut linear, &relu).unwrap_err(), &relu);
    assert!(
        m.contains(
            "it was saved from the network `10,relu:10,1`, not `10,linear:10,1`: every tensor \
             has the shape the network needs, but the activations or blocks differ"
        ),
        "{m}"
    );
    let after: Vec<Tensor<f64>> = linear
        .named_params()
        .iter()
        .map(|(_, t)| (*t).clone())
        .collect();
    assert_eq!(before, after);

    // A file another tool wrote, without lowrank metadata, is taken by its tensors.
    let foreign = dir.file("foreign.safetensors");
    rewrite(&relu, &foreign, |_, m| m.clear());
    load_weights_into(&mut linear, &foreign).unwrap();
    assert_eq!(linear.named_params()[0].1, original.named_params()[0].1);

    let broken = dir.file("broken.safetensors");
    rewrite(&relu, &broken, |_, m| {
        drop(m.insert("arch".into(), "10,relu:10".into()))
    });
    let m = message(
        load_weights_into(&mut linear, &broken).unwrap_err(),
        &broken,
    );
    assert!(
        m.contains("metadata: the recorded architecture does not parse"),
        "{m}"
    );
}
