//! What the kernel's text formatter looks up when it prints an event, looked up the same way
//! for the raw reader: task names (`saved_cmdlines`), thread group ids (`saved_tgids`) and
//! kernel symbols (`/proc/kallsyms`, for a probe's `sym+0xoff/0xsize`).

use std::collections::HashMap;

/// Reads a top-level tracefs file (`saved_cmdlines`), `None` when it cannot.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `pid -> comm` and `pid -> tgid` as the kernel saved them, read again in each round of
/// reading that looks one up: the kernel's text formatter looks them up as it prints each
/// line, so a pid whose task called `exec` since, or whose entry the kernel evicted, must not
/// keep the name it had.
#[derive(Debug, Default)]
pub struct Names {
    comms: HashMap<u32, String>,
    tgids: HashMap<u32, u32>,
    /// Whether `saved_*` were read in this round already.
    fresh: bool,
    /// Read `saved_tgids` too (the instance records tgids: the text shows them).
    pub want_tgid: bool,
    /// The pids of the last file read, for dropping the others.
    seen: Vec<u32>,
    /// Ask /proc for a pid the kernel has not saved yet ([`Names::asking_proc`]).
    ask_proc: bool,
    /// What /proc answered in this round.
    proc_comms: HashMap<u32, String>,
}

/// What the kernel prints for a pid it has no name for.
pub const UNKNOWN_COMM: &str = "<...>";

impl Names {
    pub fn new(want_tgid: bool) -> Names {
        Names {
            want_tgid,
            ..Names::default()
        }
    }

    /// For a live reader: a pid the kernel has no name for yet is looked up in /proc. The
    /// kernel saves a task's comm when the task is next switched out, and the raw reader can
    /// decode a busy task's events before that (the text reader, formatting later, would
    /// print `<...>` less often). A task that has exited since keeps `<...>`.
    pub fn asking_proc(mut self) -> Names {
        self.ask_proc = true;
        self
    }

    /// A new round of reading: the next lookup reads the kernel's maps again.
    pub fn new_round(&mut self) {
        self.fresh = false;
        self.proc_comms.clear();
    }

    /// The comm the kernel's text would print for `pid` (`trace_find_cmdline`).
    pub fn comm(&mut self, t: ReadFile<'_>, pid: u32) -> &str {
        if pid == 0 {
            return "<idle>";
        }
        self.refresh(t);
        if self.ask_proc && !self.comms.contains_key(&pid) && !self.proc_comms.contains_key(&pid) {
            // TASK_COMM_LEN is 16: a comm is at most 15 bytes; anything longer is not one.
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .ok()
                .map(|c| c.trim_end_matches('\n').to_string())
                .filter(|c| !c.is_empty() && c.len() < 16)
                .unwrap_or_else(|| UNKNOWN_COMM.to_string());
            self.proc_comms.insert(pid, comm);
        }
        self.comms
            .get(&pid)
            .or_else(|| self.proc_comms.get(&pid))
            .map(String::as_str)
            .unwrap_or(UNKNOWN_COMM)
    }

    /// The tgid the text would print for `pid` (`trace_find_tgid`; 0 prints as unknown).
    pub fn tgid(&mut self, t: ReadFile<'_>, pid: u32) -> Option<u32> {
        if !self.want_tgid || pid == 0 {
            return None;
        }
        self.refresh(t);
        self.tgids.get(&pid).copied().filter(|&g| g != 0)
    }

    fn refresh(&mut self, t: ReadFile<'_>) {
        if self.fresh {
            return;
        }
        self.fresh = true;
        if let Some(text) = t("saved_cmdlines") {
            self.load_cmdlines(&text);
        }
        if self.want_tgid {
            if let Some(text) = t("saved_tgids") {
                self.load_tgids(&text);
            }
        }
    }

    /// `saved_cmdlines`: `PID COMM` lines (a comm may hold spaces). Replaces what was known
    /// (the strings of pids still there are reused).
    pub fn load_cmdlines(&mut self, text: &str) {
        self.seen.clear();
        for line in text.lines() {
            if let Some((pid, comm)) = line.split_once(' ') {
                if let Ok(pid) = pid.trim().parse::<u32>() {
                    self.seen.push(pid);
                    match self.comms.get_mut(&pid) {
                        Some(c) if c == comm => {}
                        Some(c) => {
                            c.clear();
                            c.push_str(comm);
                        }
                        None => {
                            self.comms.insert(pid, comm.to_string());
                        }
                    }
                }
            }
        }
        self.seen.sort_unstable();
        let seen = &self.seen;
        self.comms.retain(|p, _| seen.binary_search(p).is_ok());
    }

    /// `saved_tgids`: `PID TGID` lines. Replaces what was known.
    pub fn load_tgids(&mut self, text: &str) {
        self.tgids.clear();
        for line in text.lines() {
            let mut it = line.split_whitespace();
            if let (Some(Ok(pid)), Some(Ok(tgid))) = (
                it.next().map(str::parse::<u32>),
                it.next().map(str::parse::<u32>),
            ) {
                self.tgids.insert(pid, tgid);
            }
        }
    }
}

/// One line of `/proc/kallsyms`.
#[derive(Debug, Clone)]
struct Sym {
    addr: u64,
    name: Box<str>,
    module: Option<Box<str>>,
}

/// Kernel symbols, loaded once when first needed, and the texts made of them kept per address
/// (a probe has one address; a return probe a few callers).
#[derive(Debug, Default)]
pub struct Symbols {
    table: Option<Vec<Sym>>,
    with_offset: HashMap<u64, String>,
    name_only: HashMap<u64, String>,
    /// Where the table comes from (`/proc/kallsyms`; tests give text).
    source: Option<String>,
}

/// Texts kept per address at most (a return probe called from very many places).
const CACHE_MAX: usize = 4096;

impl Symbols {
    /// Symbols read from `/proc/kallsyms` on first use.
    pub fn from_proc() -> Symbols {
        Symbols::default()
    }

    /// Symbols from this text (`/proc/kallsyms` lines).
    pub fn from_text(text: &str) -> Symbols {
        Symbols {
            source: Some(text.to_string()),
            ..Symbols::default()
        }
    }

    /// Whether `/proc/kallsyms` shows addresses here (`kptr_restrict` shows them all as 0; the
    /// first lines are per-CPU symbols, the very first at 0 even when addresses are shown).
    pub fn proc_has_addresses() -> bool {
        use std::io::Read;
        let mut head = vec![0u8; 8192];
        let Ok(mut f) = std::fs::File::open("/proc/kallsyms") else {
            return false;
        };
        let n = f.read(&mut head).unwrap_or(0);
        let text = String::from_utf8_lossy(&head[..n]);
        text.lines()
            .filter_map(|l| l.split(' ').next())
            .filter_map(|a| u64::from_str_radix(a, 16).ok())
            .any(|a| a != 0)
    }

    fn table(&mut self) -> &[Sym] {
        if self.table.is_none() {
            let text = match self.source.take() {
                Some(t) => t,
                None => std::fs::read_to_string("/proc/kallsyms").unwrap_or_default(),
            };
            let mut v: Vec<Sym> = text.lines().filter_map(parse_sym).collect();
            // Stable: of symbols at one address, the first listed is the one the kernel names.
            v.sort_by_key(|s| s.addr);
            self.table = Some(v);
        }
        self.table.as_deref().unwrap_or_default()
    }

    /// `sym+0xoff/0xsize` (` [module]` for a module's), as `%pS` / `sprint_symbol` prints it;
    /// `0x…` when no symbol holds the address; `0` for address 0.
    pub fn with_offset(&mut self, ip: u64) -> &str {
        if !self.with_offset.contains_key(&ip) {
            let text = self.describe(ip, true);
            if self.with_offset.len() >= CACHE_MAX {
                self.with_offset.clear();
            }
            self.with_offset.insert(ip, text);
        }
        self.with_offset.get(&ip).map(String::as_str).unwrap_or("")
    }

    /// The symbol's name alone, as the kernel prints a return probe's function.
    pub fn name_only(&mut self, ip: u64) -> &str {
        if !self.name_only.contains_key(&ip) {
            let text = self.describe(ip, false);
            if self.name_only.len() >= CACHE_MAX {
                self.name_only.clear();
            }
            self.name_only.insert(ip, text);
        }
        self.name_only.get(&ip).map(String::as_str).unwrap_or("")
    }

    fn describe(&mut self, ip: u64, offset: bool) -> String {
        if ip == 0 {
            return "0".into();
        }
        let table = self.table();
        let idx = table.partition_point(|s| s.addr <= ip);
        let Some(found) = idx.checked_sub(1).and_then(|i| table.get(i)) else {
            return format!("0x{ip:08x}");
        };
        let addr = found.addr;
        let first = table[..idx].partition_point(|s| s.addr < addr);
        let sym = &table[first];
        if !offset {
            return sym.name.to_string();
        }
        let size = table.get(idx).map_or(0, |next| next.addr - addr);
        let mut s = format!("{}+0x{:x}/0x{:x}", sym.name, ip - addr, size);
        if let Some(m) = &sym.module {
            s.push_str(" [");
            s.push_str(m);
            s.push(']');
        }
        s
    }
}

/// `ffffffff81234560 T vfs_read` or `ffffffffc0001000 t foo\t[module]`.
fn parse_sym(line: &str) -> Option<Sym> {
    let (main, module) = match line.split_once('\t') {
        Some((m, rest)) => (
            m,
            rest.trim()
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .map(Into::into),
        ),
        None => (line, None),
    };
    let mut it = main.split(' ');
    let addr = u64::from_str_radix(it.next()?, 16).ok()?;
    let _ty = it.next()?;
    let name = it.next()?;
    if name.is_empty() {
        return None;
    }
    Some(Sym {
        addr,
        name: name.into(),
        module,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KALLSYMS: &str = "ffffffff81000000 T _text\n\
ffffffff81300000 T vfs_read\n\
ffffffff81300000 T alias_of_vfs_read\n\
ffffffff81300370 T vfs_write\n\
ffffffff81300400 t next_one\n\
ffffffffc0001000 t modfunc\t[virtio_net]\n\
ffffffffc0001040 t modnext\t[virtio_net]\n";

    #[test]
    fn offsets_sizes_aliases_and_modules_as_the_kernel_prints_them() {
        let mut s = Symbols::from_text(KALLSYMS);
        assert_eq!(s.with_offset(0xffffffff81300004), "vfs_read+0x4/0x370");
        assert_eq!(s.with_offset(0xffffffff81300370), "vfs_write+0x0/0x90");
        assert_eq!(s.name_only(0xffffffff8130036f), "vfs_read");
        assert_eq!(
            s.with_offset(0xffffffffc0001010),
            "modfunc+0x10/0x40 [virtio_net]"
        );
        assert_eq!(s.name_only(0xffffffffc0001010), "modfunc");
        assert_eq!(s.with_offset(0x1000), "0x00001000");
        assert_eq!(s.with_offset(0), "0");
    }

    #[test]
    fn names_from_saved_files() {
        let mut n = Names::new(true);
        n.load_cmdlines("184 dd\n1 init\n77 kworker/0:1 x\n");
        n.load_tgids("184 184\n185 184\n9 0\n");
        assert_eq!(n.comms.get(&77).map(String::as_str), Some("kworker/0:1 x"));
        assert_eq!(n.tgids.get(&185), Some(&184));
        // The kernel's map is the truth: an exec renames a pid, an eviction forgets one.
        n.load_cmdlines("184 sh\n");
        assert_eq!(n.comms.get(&184).map(String::as_str), Some("sh"));
        assert_eq!(n.comms.get(&1), None);
        let files = |f: &str| (f == "saved_cmdlines").then(|| "5 cat\n".to_string());
        n.new_round();
        assert_eq!(n.comm(&files, 5), "cat");
        assert_eq!(n.comm(&files, 184), UNKNOWN_COMM);
        assert_eq!(n.comm(&files, 0), "<idle>");
    }
}
