//! The ring buffer's size files: `buffer_size_kb` (per CPU) and `buffer_total_size_kb`.
//!
//! Until something is traced, the kernel keeps the top-level buffer at a token size and shows
//! the size it will grow to: `7 (expanded: 1408)`. The first event enabled anywhere (on kernels
//! up to 6.5 even one inside an instance) expands it once and for all; the file then holds the
//! real size, rounded up to whole ring-buffer pages (`1410`). The step cannot be undone from
//! user space, so it is the one change to tracefs a run may leave behind
//! (docs/kernel-notes.md).

use serde::{Deserialize, Serialize};

use super::{Result, Tracefs};

/// A parsed `buffer_size_kb` / `buffer_total_size_kb` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BufferSize {
    /// What the buffer holds now, in KiB.
    pub kb: u64,
    /// `Some(n)`: not expanded yet; `n` KiB is the size it will grow to.
    pub expands_to: Option<u64>,
}

impl BufferSize {
    /// `"7 (expanded: 1408)"` or `"1410"`; `None` for anything else (`"X"` is what a per-CPU
    /// total shows when CPUs differ).
    pub fn parse(s: &str) -> Option<BufferSize> {
        let s = s.trim();
        match s.split_once(' ') {
            None => Some(BufferSize {
                kb: s.parse().ok()?,
                expands_to: None,
            }),
            Some((kb, rest)) => {
                let n = rest.strip_prefix("(expanded: ")?.strip_suffix(')')?;
                Some(BufferSize {
                    kb: kb.parse().ok()?,
                    expands_to: Some(n.parse().ok()?),
                })
            }
        }
    }

    pub fn is_expanded(&self) -> bool {
        self.expands_to.is_none()
    }

    /// Whether `after` is what this unexpanded size becomes when the kernel expands it: the
    /// announced size rounded up to whole ring-buffer pages of `page_data` bytes (4080 on
    /// x86-64: a 4 KiB page less its 16-byte header). Anything else is a real change.
    pub fn expands_into(&self, after: &BufferSize, page_data: u64) -> bool {
        let Some(target) = self.expands_to else {
            return false;
        };
        if !after.is_expanded() || page_data == 0 {
            return false;
        }
        let pages = (target * 1024).div_ceil(page_data);
        after.kb == target || after.kb == pages * page_data / 1024
    }
}

/// The top-level buffer: per-CPU and total sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopBuffer {
    pub per_cpu: BufferSize,
    /// `buffer_total_size_kb` (absent before Linux 3.4).
    pub total: Option<BufferSize>,
}

/// Reads the top-level buffer's sizes; `None` when `buffer_size_kb` is unreadable or has a
/// shape this parser does not know.
pub fn top(t: &Tracefs) -> Result<Option<TopBuffer>> {
    let per_cpu = BufferSize::parse(&t.read("buffer_size_kb")?);
    let total = t
        .read("buffer_total_size_kb")
        .ok()
        .and_then(|s| BufferSize::parse(&s));
    Ok(per_cpu.map(|per_cpu| TopBuffer { per_cpu, total }))
}

/// Whether an instance's buffer can be resized without changing the top level's. Up to 6.6 the
/// kernel keeps one global "expanded" flag, and resizing any buffer sets it: an unexpanded
/// top-level buffer then never grows and stays at its token size for everyone after us (seen on
/// Debian 12's 6.1: `7 (expanded: 1408)` became `7` after an instance's `buffer_size_kb` was
/// written). So only once the top level is expanded (or reads as a plain size) is it safe.
pub fn instance_resize_is_private(t: &Tracefs) -> bool {
    t.read("buffer_size_kb")
        .ok()
        .and_then(|s| BufferSize::parse(&s))
        .is_some_and(|b| b.is_expanded())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_is_resized_only_once_the_top_level_is_expanded() {
        let dir = tempfile::tempdir().unwrap();
        let t = Tracefs::at(dir.path());
        std::fs::write(dir.path().join("buffer_size_kb"), "7 (expanded: 1408)\n").unwrap();
        assert!(!instance_resize_is_private(&t));
        std::fs::write(dir.path().join("buffer_size_kb"), "1410\n").unwrap();
        assert!(instance_resize_is_private(&t));
        std::fs::remove_file(dir.path().join("buffer_size_kb")).unwrap();
        assert!(!instance_resize_is_private(&t));
    }

    #[test]
    fn parses_both_shapes() {
        assert_eq!(
            BufferSize::parse("7 (expanded: 1408)\n"),
            Some(BufferSize {
                kb: 7,
                expands_to: Some(1408)
            })
        );
        assert_eq!(
            BufferSize::parse("1410\n"),
            Some(BufferSize {
                kb: 1410,
                expands_to: None
            })
        );
        assert_eq!(BufferSize::parse("X\n"), None);
        assert_eq!(BufferSize::parse("7 (shrunk: 1)"), None);
    }

    #[test]
    fn expansion_is_the_page_rounded_announced_size() {
        // Debian 6.1 on x86-64: 1408 KiB announced, 354 pages of 4080 bytes = 1410 KiB.
        let before = BufferSize::parse("7 (expanded: 1408)").unwrap();
        assert!(before.expands_into(&BufferSize::parse("1410").unwrap(), 4080));
        assert!(before.expands_into(&BufferSize::parse("1408").unwrap(), 4080));
        assert!(!before.expands_into(&BufferSize::parse("1411").unwrap(), 4080));
        assert!(!before.expands_into(&BufferSize::parse("4").unwrap(), 4080));
        // An expanded buffer has no step left to take.
        let expanded = BufferSize::parse("1410").unwrap();
        assert!(!expanded.expands_into(&expanded, 4080));
    }
}
