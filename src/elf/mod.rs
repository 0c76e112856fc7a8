//! User-space ELF files for uprobes: which file a name means (the dynamic linker's search,
//! [`search`]), the functions it defines (`.symtab` and `.dynsym`), and the file offset a
//! uprobe takes for a function's address.
//!
//! Stands alone like `tracefs`: no tools, output or CLI words. Files are read with the `object`
//! crate through a read cache (only the headers and symbol tables are read, never the whole
//! file), and nothing read from a file is trusted: names are bounded, counts capped.
//!
//! The offset arithmetic: a uprobe is `PATH:OFFSET`, the offset into the file. A symbol's
//! value is a virtual address; the PT_LOAD segment whose file-backed range holds it maps it,
//! `offset = vaddr - p_vaddr + p_offset`. That one rule covers fixed-address executables
//! (ET_EXEC, `p_vaddr` 0x400000 and up) and shared objects and PIEs (ET_DYN, based at 0).

pub mod ldcache;
pub mod search;

use std::fs::File;
use std::path::{Path, PathBuf};

use object::read::ReadCache;
use object::{Object, ObjectKind, ObjectSegment, ObjectSymbol, SegmentFlags, SymbolKind};

/// ELF `PF_X`.
const PF_X: u32 = 1;
/// Most functions taken from one file (a large C++ program has a few hundred thousand).
pub const MAX_SYMBOLS: usize = 4_000_000;
/// Longest symbol name kept (longer ones, rare mangled names, are skipped).
pub const MAX_SYMBOL_NAME: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not an ELF file this machine can run ({reason})")]
    NotElf { path: PathBuf, reason: String },
    #[error("{path} is not a regular file")]
    NotRegular { path: PathBuf },
    #[error("{path} is an ELF {kind} file, not an executable or shared object")]
    WrongKind { path: PathBuf, kind: String },
    #[error("{path} is built for {found}, not for this machine ({want})")]
    WrongArch {
        path: PathBuf,
        found: String,
        want: String,
    },
    #[error("no function `{symbol}` in {path}")]
    NoSymbol { path: PathBuf, symbol: String },
    #[error("{path} has no symbol table (stripped): address its code as 0xADDR")]
    Stripped { path: PathBuf },
    #[error("`{symbol}` is at {count} addresses in {path} ({addresses}); give one as 0xADDR")]
    Ambiguous {
        path: PathBuf,
        symbol: String,
        count: usize,
        addresses: String,
    },
    #[error("0x{address:x} is not in an executable segment of {path}")]
    NotInCode { path: PathBuf, address: u64 },
    #[error("{path} defines more than {MAX_SYMBOLS} functions")]
    TooManySymbols { path: PathBuf },
    #[error("cannot find `{name}`: {looked}")]
    NotFound { name: String, looked: String },
    #[error("`{name}` could be {candidates}: give the full path")]
    AmbiguousName { name: String, candidates: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A function defined in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    /// Its virtual address, as the symbol table gives it.
    pub address: u64,
    pub size: u64,
    /// Global (or weak) rather than file-local.
    pub global: bool,
}

/// A PT_LOAD segment's file-backed part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
    pub exec: bool,
}

impl Load {
    fn holds(&self, vaddr: u64) -> bool {
        vaddr >= self.vaddr && vaddr - self.vaddr < self.filesz
    }
}

/// An ELF executable or shared object, with what uprobes need of it.
#[derive(Debug, Clone)]
pub struct ElfFile {
    pub path: PathBuf,
    /// ET_DYN (shared object or PIE) rather than ET_EXEC.
    pub dynamic: bool,
    pub entry: u64,
    pub loads: Vec<Load>,
    /// Functions from `.symtab` and `.dynsym`, one per (name, address), sorted by name.
    pub functions: Vec<Function>,
}

/// The ELF machine name of an `object` architecture, for messages.
fn arch_name(a: object::Architecture) -> String {
    format!("{a:?}").to_lowercase()
}

/// The architecture this program was built for: what the files it probes must be.
pub fn own_architecture() -> Option<object::Architecture> {
    use object::Architecture as A;
    Some(match std::env::consts::ARCH {
        "x86_64" => A::X86_64,
        "x86" => A::I386,
        "aarch64" => A::Aarch64,
        "arm" => A::Arm,
        "riscv64" => A::Riscv64,
        "powerpc64" => A::PowerPc64,
        "s390x" => A::S390x,
        "loongarch64" => A::LoongArch64,
        _ => return None,
    })
}

impl ElfFile {
    /// Opens `path` (a regular file) and reads its segments and functions. With `any_arch`,
    /// a file built for another architecture is read too.
    pub fn open(path: &Path, any_arch: bool) -> Result<ElfFile> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        if !file.metadata().map_err(io)?.is_file() {
            return Err(Error::NotRegular {
                path: path.to_path_buf(),
            });
        }
        let cache = ReadCache::new(file);
        let obj = object::File::parse(&cache).map_err(|e| Error::NotElf {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if obj.format() != object::BinaryFormat::Elf {
            return Err(Error::NotElf {
                path: path.to_path_buf(),
                reason: format!("{:?} format", obj.format()),
            });
        }
        let dynamic = match obj.kind() {
            ObjectKind::Executable => false,
            ObjectKind::Dynamic => true,
            other => {
                return Err(Error::WrongKind {
                    path: path.to_path_buf(),
                    kind: format!("{other:?}").to_lowercase(),
                })
            }
        };
        if !any_arch {
            if let Some(want) = own_architecture() {
                if obj.architecture() != want {
                    return Err(Error::WrongArch {
                        path: path.to_path_buf(),
                        found: arch_name(obj.architecture()),
                        want: arch_name(want),
                    });
                }
            }
        }
        let loads = obj
            .segments()
            .map(|s| {
                let (offset, filesz) = s.file_range();
                let exec =
                    matches!(s.flags(), SegmentFlags::Elf { p_flags } if p_flags & PF_X != 0);
                Load {
                    vaddr: s.address(),
                    offset,
                    filesz,
                    exec,
                }
            })
            .collect();
        let mut functions = Vec::new();
        for sym in obj.symbols().chain(obj.dynamic_symbols()) {
            if sym.kind() != SymbolKind::Text || !sym.is_definition() || sym.address() == 0 {
                continue;
            }
            let Ok(name) = sym.name() else { continue };
            if name.is_empty() || name.len() > MAX_SYMBOL_NAME {
                continue;
            }
            if functions.len() >= MAX_SYMBOLS {
                return Err(Error::TooManySymbols {
                    path: path.to_path_buf(),
                });
            }
            functions.push(Function {
                name: name.to_string(),
                address: sym.address(),
                size: sym.size(),
                global: sym.is_global(),
            });
        }
        // .dynsym repeats what .symtab has: one per (name, address), a global one kept.
        functions
            .sort_by(|a, b| (&a.name, a.address, !a.global).cmp(&(&b.name, b.address, !b.global)));
        functions
            .dedup_by(|later, first| later.name == first.name && later.address == first.address);
        Ok(ElfFile {
            path: path.to_path_buf(),
            dynamic,
            entry: obj.entry(),
            loads,
            functions,
        })
    }

    /// The file offset of virtual address `vaddr`, through the PT_LOAD segment holding it;
    /// `exec_only` requires that segment to be executable (code, where a breakpoint belongs).
    pub fn file_offset(&self, vaddr: u64, exec_only: bool) -> Result<u64> {
        self.loads
            .iter()
            .find(|l| l.holds(vaddr) && (l.exec || !exec_only))
            .map(|l| vaddr - l.vaddr + l.offset)
            .ok_or_else(|| Error::NotInCode {
                path: self.path.clone(),
                address: vaddr,
            })
    }

    /// The functions a uprobe can go on (code: an executable segment holds them), each with
    /// the file offset a uprobe on it takes.
    pub fn code_functions(&self) -> impl Iterator<Item = (&Function, u64)> {
        self.functions
            .iter()
            .filter_map(|f| Some((f, self.file_offset(f.address, true).ok()?)))
    }

    /// The function named `name`: the one global definition, else the one local one.
    pub fn function(&self, name: &str) -> Result<&Function> {
        let all: Vec<&Function> = self.functions.iter().filter(|f| f.name == name).collect();
        let globals: Vec<&Function> = all.iter().copied().filter(|f| f.global).collect();
        let pick = if globals.is_empty() { &all } else { &globals };
        match pick.as_slice() {
            [one] => Ok(one),
            [] if self.functions.is_empty() => Err(Error::Stripped {
                path: self.path.clone(),
            }),
            [] => Err(Error::NoSymbol {
                path: self.path.clone(),
                symbol: name.to_string(),
            }),
            many => Err(Error::Ambiguous {
                path: self.path.clone(),
                symbol: name.to_string(),
                count: many.len(),
                addresses: many
                    .iter()
                    .take(4)
                    .map(|f| format!("0x{:x}", f.address))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
