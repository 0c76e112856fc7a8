//! `kprobe_profile` and `uprobe_profile`: per-event hit counts the kernel keeps while a probe is
//! armed, without writing anything to a ring buffer.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileLine {
    /// Event name, without its group (the kernel does not print it).
    pub event: String,
    pub hits: u64,
    /// Missed hits (kprobes only; uprobe_profile has no such column).
    pub misses: Option<u64>,
    /// The probed file (uprobes only).
    pub path: Option<String>,
}

/// `"  %-44s %15lu %15lu\n"`: event, hits, misses. Lines that do not fit are skipped.
pub fn parse_kprobe_profile(text: &str) -> Vec<ProfileLine> {
    text.lines()
        .filter_map(|line| {
            let mut it = line.split_whitespace().rev();
            let misses = it.next()?.parse().ok()?;
            let hits = it.next()?.parse().ok()?;
            let event = it.next()?;
            if it.next().is_some() {
                return None;
            }
            Some(ProfileLine {
                event: event.to_string(),
                hits,
                misses: Some(misses),
                path: None,
            })
        })
        .collect()
}

/// `"  %s %-44s %15lu\n"`: path, event, hits. Parsed from the right, because a path may
/// contain spaces and an event name may not.
pub fn parse_uprobe_profile(text: &str) -> Vec<ProfileLine> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_end();
            let (rest, hits) = line.rsplit_once(' ')?;
            let hits = hits.parse().ok()?;
            let (path, event) = rest.trim_end().rsplit_once(' ')?;
            let path = path.trim_start_matches(' ');
            if path.is_empty() || event.is_empty() {
                return None;
            }
            Some(ProfileLine {
                event: event.to_string(),
                hits,
                misses: None,
                path: Some(path.to_string()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kprobe_profile_of_debian_6_1() {
        let p = parse_kprobe_profile(include_str!(
            "../../tests/fixtures/debian/kprobe_profile.txt"
        ));
        assert_eq!(
            p,
            vec![
                ProfileLine {
                    event: "open".into(),
                    hits: 11,
                    misses: Some(0),
                    path: None
                },
                ProfileLine {
                    event: "openret".into(),
                    hits: 8,
                    misses: Some(0),
                    path: None
                },
                ProfileLine {
                    event: "rd".into(),
                    hits: 103,
                    misses: Some(0),
                    path: None
                },
            ]
        );
        let p = parse_kprobe_profile(include_str!(
            "../../tests/fixtures/profiler/kprobe_profile.txt"
        ));
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn uprobe_profile_of_both_6_1_kernels() {
        for text in [
            include_str!("../../tests/fixtures/debian/uprobe_profile.txt"),
            include_str!("../../tests/fixtures/profiler/uprobe_profile.txt"),
        ] {
            assert_eq!(
                parse_uprobe_profile(text),
                vec![ProfileLine {
                    event: "up".into(),
                    hits: 0,
                    misses: None,
                    path: Some("/bin/busybox".into())
                }]
            );
        }
    }

    #[test]
    fn paths_with_spaces_and_junk() {
        let p = parse_uprobe_profile("  /opt/my app/bin x                 12\n");
        assert_eq!(p[0].path.as_deref(), Some("/opt/my app/bin"));
        assert_eq!((p[0].event.as_str(), p[0].hits), ("x", 12));
        assert!(parse_uprobe_profile("  up 12\n\nnot numbers here\n").is_empty());
        assert!(parse_kprobe_profile("  a b 1 2\n  x y\n\n").is_empty());
    }
}
