//! Safetensors files as the checkpoint targets mutate them: the JSON header and the tensor bytes
//! apart, so that an edit of the header (an architecture, a shape, an offset) keeps the length
//! prefix right and reaches the checks behind it, and the prefix as a third, normally empty, part.

use std::path::Path;

/// The files a checkpoint input consists of, in [`super::Target::files`] order.
pub(super) const FILES: &[&str] = &["header.json", "tensors.bin", "prefix.bin"];

/// A safetensors file split into its parts (the prefix left empty: computed when assembled).
pub(super) fn split(file: &[u8]) -> Option<super::Input> {
    let length = u64::from_le_bytes(file.get(..8)?.try_into().ok()?);
    let end = 8usize.checked_add(usize::try_from(length).ok()?)?;
    let header = file.get(8..end)?.to_vec();
    Some(vec![header, file[end..].to_vec(), Vec::new()])
}

/// Writes the file the parts in `dir` make to `dir/name`: the prefix part's bytes (up to eight,
/// zero-padded) when it has any, else the header's true length, then the header and the tensors.
pub(super) fn assemble(dir: &Path, name: &str) -> std::io::Result<std::path::PathBuf> {
    let read = |part: &str| std::fs::read(dir.join(part));
    let (header, tensors, prefix) = (read(FILES[0])?, read(FILES[1])?, read(FILES[2])?);
    let mut file = if prefix.is_empty() {
        (header.len() as u64).to_le_bytes().to_vec()
    } else {
        let mut raw = prefix;
        raw.resize(8, 0);
        raw
    };
    file.extend(header);
    file.extend(tensors);
    let path = dir.join(name);
    std::fs::write(&path, file)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_file_assembles_back_to_itself() {
        let mut file = 13u64.to_le_bytes().to_vec();
        file.extend(b"{\"a\":\"bcdef\"}");
        file.extend([1, 2, 3]);
        let parts = split(&file).unwrap();
        assert_eq!(parts[0], b"{\"a\":\"bcdef\"}");
        assert_eq!(parts[1], [1, 2, 3]);
        let dir = super::super::scratch("layout");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, part) in FILES.iter().zip(&parts) {
            std::fs::write(dir.join(name), part).unwrap();
        }
        assert_eq!(std::fs::read(assemble(&dir, "f").unwrap()).unwrap(), file);
        std::fs::write(dir.join(FILES[2]), [0xff, 0xff]).unwrap();
        let raw = std::fs::read(assemble(&dir, "f").unwrap()).unwrap();
        assert_eq!(&raw[..8], &[0xff, 0xff, 0, 0, 0, 0, 0, 0]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_shorter_than_its_prefix_does_not_split() {
        assert_eq!(split(&[1, 0, 0]), None);
        assert_eq!(split(&99u64.to_le_bytes()), None);
    }
}
