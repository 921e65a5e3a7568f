//! Generated photos: a real JPEG with a comment segment (unique text plus
//! padding) so each file has its own hash and a realistic size.

use std::path::Path;

use crate::SimError;

/// A small real JPEG (64×48), made once with Pillow.
const SAMPLE: &[u8] = include_bytes!("../assets/sample.jpg");

/// JPEG bytes of about `target_len`, unique to `label`.
pub fn photo_bytes(label: &str, target_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target_len.max(SAMPLE.len()) + 16);
    out.extend_from_slice(&SAMPLE[..2]); // SOI
    let mut payload = format!("gridwork-sim {label} ").into_bytes();
    let want = target_len.saturating_sub(SAMPLE.len());
    // COM segments carry at most 65,533 bytes each.
    loop {
        let room = 65_533usize;
        let fill = payload.len().max(want.min(room));
        payload.resize(fill, b'.');
        let len = (payload.len() + 2) as u16;
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&payload);
        if out.len() + SAMPLE.len() >= target_len {
            break;
        }
        payload = Vec::new();
    }
    out.extend_from_slice(&SAMPLE[2..]);
    out
}

/// Write a generated photo to `path` (as the camera app would).
pub fn write_photo(path: &Path, label: &str, target_len: usize) -> Result<(), SimError> {
    std::fs::write(path, photo_bytes(label, target_len))
        .map_err(|e| SimError::Io(path.display().to_string(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_jpegs_of_the_size_asked_and_unique() {
        let a = photo_bytes("a", 300 * 1024);
        let b = photo_bytes("b", 300 * 1024);
        assert_eq!(&a[..3], &[0xFF, 0xD8, 0xFF]);
        assert_eq!(&a[a.len() - 2..], &[0xFF, 0xD9]);
        assert!(
            a.len() >= 300 * 1024 && a.len() < 300 * 1024 + 70_000,
            "{}",
            a.len()
        );
        assert_ne!(a, b);
        assert_eq!(
            photo_bytes("tiny", 10).len(),
            SAMPLE.len() + 4 + "gridwork-sim tiny ".len()
        );
    }
}
