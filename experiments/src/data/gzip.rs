//! Gzip files read whole: every member of a multi-member file (`cat a.gz b.gz` is a valid gzip
//! file), and nothing but members, so that appended bytes are an error rather than ignored.

use std::io::Read;

use flate2::bufread::GzDecoder;

use super::{DataError, Location};
use crate::runner::budget::{Memory, show};

/// The first two bytes of every gzip member (RFC 1952).
const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True when `bytes` start like a gzip file.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// The decompressed contents of the gzip file `bytes`, read from `file`: its members one after
/// the other, as `gzip -d` gives them. Errors name the file and the offset, in the compressed
/// bytes, of a member that is corrupt or truncated, or of bytes after the last member that do not
/// start another one, and a file that would decompress to more than this machine's memory (a
/// gzip bomb of a few kilobytes can expand to terabytes).
pub(crate) fn gunzip(bytes: &[u8], file: &str) -> Result<Vec<u8>, DataError> {
    gunzip_within(bytes, file, &Memory::of_this_machine())
}

/// [`gunzip`] with at most `memory.bytes` of output.
fn gunzip_within(bytes: &[u8], file: &str, memory: &Memory) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let at = Location::Compressed((bytes.len() - rest.len()) as u64);
        if !is_gzip(rest) {
            return Err(DataError::malformed(
                file,
                at,
                format!(
                    "{} bytes after the gzip data do not start a gzip member (trailing garbage)",
                    rest.len()
                ),
            ));
        }
        // The buffered decoder consumes exactly one member, so what it leaves is the rest.
        let room = memory.bytes.saturating_sub(out.len() as u64);
        let mut member = GzDecoder::new(rest).take(room.saturating_add(1));
        member
            .read_to_end(&mut out)
            .map_err(|e| DataError::malformed(file, at, format!("bad gzip member: {e}")))?;
        if out.len() as u64 > memory.bytes {
            return Err(DataError::malformed(
                file,
                at,
                format!(
                    "the gzip data decompresses to more than {}, the memory of this machine ({})",
                    show(Some(memory.bytes)),
                    memory.source
                ),
            ));
        }
        rest = member.into_inner().into_inner();
    }
    Ok(out)
}

/// `data` as one gzip member, for the loaders' tests.
#[cfg(test)]
pub(crate) fn member(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_beyond_the_memory_is_refused_before_it_is_held() {
        let bomb = member(&vec![0u8; 1 << 20]);
        let small = Memory {
            bytes: 1000,
            source: "a test's limit".into(),
        };
        let message = gunzip_within(&bomb, "bomb.gz", &small)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("bomb.gz")
                && message.contains("decompresses to more than")
                && message.contains("a test's limit"),
            "{message}"
        );
        let exact = Memory {
            bytes: 1 << 20,
            source: "exact".into(),
        };
        assert_eq!(gunzip_within(&bomb, "f.gz", &exact).unwrap().len(), 1 << 20);
    }

    #[test]
    fn every_member_of_a_multi_member_file_is_read() {
        let (a, b) = (member(b"first "), member(b"second"));
        let both = [a, b].concat();
        assert_eq!(gunzip(&both, "f.gz").unwrap(), b"first second");
    }

    #[test]
    fn trailing_garbage_is_named_with_its_offset() {
        let a = member(b"data");
        let end = a.len();
        let message = gunzip(&[a, b"junk".to_vec()].concat(), "f.gz")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "f.gz, byte offset {end} of the gzip file: 4 bytes after the gzip data do not \
                 start a gzip member (trailing garbage)"
            )
        );
    }

    #[test]
    fn a_truncated_member_is_named_with_its_offset() {
        let a = member(b"data");
        let b = member(b"more data");
        let cut = [a.clone(), b[..b.len() - 3].to_vec()].concat();
        let message = gunzip(&cut, "f.gz").unwrap_err().to_string();
        assert!(
            message.starts_with(&format!(
                "f.gz, byte offset {} of the gzip file: bad gzip member:",
                a.len()
            )),
            "{message}"
        );
    }
}
