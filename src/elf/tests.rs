//! The offset arithmetic on real files: tests/fixtures/uprobe/upprog.c built here with gcc
//! (static ET_EXEC, static-pie and dynamic PIE, both ET_DYN), checked against the kernel's own
//! mapping of the running program (its `--where` prints each function's file offset from
//! /proc/self/maps); this machine's /bin/busybox (stripped, static) checked against its
//! section headers; and library and program search against ldconfig and PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::search::{library_matches, regular, Search};
use super::*;

const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/uprobe/upprog.c"
);

/// Builds upprog with `flags` into `dir`.
fn build(dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let st = Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&out)
        .args(flags)
        .arg(SOURCE)
        .status()
        .expect("gcc (build-essential) on this machine");
    assert!(st.success(), "gcc {flags:?} failed");
    out
}

/// `SYMBOL OFFSET` pairs the running program printed from /proc/self/maps.
fn kernel_offsets(prog: &Path) -> Vec<(String, u64)> {
    let out = Command::new(prog).arg("--where").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (s, o) = l.split_once(" 0x").unwrap();
            (s.to_string(), u64::from_str_radix(o, 16).unwrap())
        })
        .collect()
}

#[test]
fn function_offsets_match_the_kernels_mapping_for_exec_and_dyn() {
    let dir = tempfile::tempdir().unwrap();
    for (name, flags, dynamic) in [
        ("static", &["-static"][..], false),
        ("static_pie", &["-static-pie"][..], true),
        ("pie", &["-pie", "-fPIE"][..], true),
    ] {
        let prog = build(dir.path(), name, flags);
        let elf = ElfFile::open(&prog, false).unwrap();
        assert_eq!(elf.dynamic, dynamic, "{name}");
        let want = kernel_offsets(&prog);
        assert_eq!(want.len(), 2);
        for (sym, offset) in want {
            let f = elf.function(&sym).unwrap();
            assert_eq!(
                elf.file_offset(f.address, true).unwrap(),
                offset,
                "{name}: {sym} at 0x{:x}",
                f.address
            );
        }
        // An ET_EXEC's addresses are not its offsets: the arithmetic did something there.
        if !dynamic {
            let f = elf.function("lkt_hit").unwrap();
            assert_ne!(elf.file_offset(f.address, true).unwrap(), f.address);
        }
    }
}

#[test]
fn data_and_unmapped_addresses_are_not_code() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "static", &["-static"]);
    let elf = ElfFile::open(&prog, false).unwrap();
    let data = elf.loads.iter().find(|l| !l.exec && l.filesz > 0).unwrap();
    assert!(matches!(
        elf.file_offset(data.vaddr, true),
        Err(Error::NotInCode { .. })
    ));
    assert_eq!(elf.file_offset(data.vaddr, false).unwrap(), data.offset);
    assert!(elf.file_offset(u64::MAX - 1, false).is_err());
    assert!(matches!(
        elf.function("no_such_function"),
        Err(Error::NoSymbol { .. })
    ));
    // The same name from .symtab and .dynsym is one function; the list is sorted.
    assert!(elf.functions.windows(2).all(|w| w[0].name <= w[1].name));
}

/// Stripped and static: no symbols, but its entry point is code, and the section header table
/// (which the offset arithmetic does not use) agrees where it is in the file.
#[test]
fn busybox_entry_point_through_its_segments() {
    use object::{Object, ObjectSection};
    let Some(bb) = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
    else {
        panic!("no busybox on this machine (busybox-static, tests/vm/setup.sh installs it)");
    };
    let elf = ElfFile::open(bb, false).unwrap();
    let ours = elf.file_offset(elf.entry, true).unwrap();
    let data = std::fs::read(bb).unwrap();
    let obj = object::File::parse(&*data).unwrap();
    let text = obj
        .sections()
        .find(|s| (s.address()..s.address() + s.size()).contains(&elf.entry))
        .unwrap();
    let (sh_offset, _) = text.file_range().unwrap();
    assert_eq!(ours, elf.entry - text.address() + sh_offset);
    if elf.functions.is_empty() {
        assert!(matches!(elf.function("main"), Err(Error::Stripped { .. })));
    }
}

#[test]
fn what_is_not_a_probe_able_elf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("x.txt");
    std::fs::write(&txt, "#!/bin/sh\n").unwrap();
    assert!(matches!(
        ElfFile::open(&txt, false),
        Err(Error::NotElf { .. })
    ));
    let obj = dir.path().join("x.o");
    assert!(Command::new("gcc")
        .args(["-c", "-o"])
        .arg(&obj)
        .arg(SOURCE)
        .status()
        .unwrap()
        .success());
    assert!(matches!(
        ElfFile::open(&obj, false),
        Err(Error::WrongKind { .. })
    ));
    assert!(matches!(
        ElfFile::open(dir.path(), false),
        Err(Error::NotRegular { .. }) | Err(Error::Io { .. })
    ));
}

#[test]
fn library_names_as_the_dynamic_linker_means_them() {
    assert!(library_matches("libc.so.6", "libc"));
    assert!(library_matches("libc.so.6", "libc.so"));
    assert!(library_matches("libc.so.6", "libc.so.6"));
    assert!(!library_matches("libcrypt.so.1", "libc"));
    assert!(!library_matches("libc.so.6", "libc.so.6.1"));
    assert!(!library_matches("libc-2.36.txt", "libc"));
}

/// `libc` and bcc's `c` resolve to the file ldconfig lists for libc.so.6, canonical.
#[test]
fn libc_resolves_to_ldconfigs_libc() {
    let s = Search::system(None);
    let cache = super::ldcache::read(&s.cache).unwrap().unwrap();
    let want = cache
        .iter()
        .find(|e| e.name == "libc.so.6" && super::search::regular(Path::new(&e.path)).is_ok())
        .map(|e| std::fs::canonicalize(&e.path).unwrap())
        .unwrap();
    assert_eq!(s.resolve("libc").unwrap(), want);
    assert_eq!(s.resolve("c").unwrap(), want);
    assert_eq!(s.resolve("libc.so.6").unwrap(), want);
    // With no cache at all, the standard directories find it too.
    let no_cache = Search {
        cache: PathBuf::from("/nonexistent/ld.so.cache"),
        ..s.clone()
    };
    assert_eq!(no_cache.resolve("libc").unwrap(), want);
    let libc = ElfFile::open(&want, false).unwrap();
    assert!(libc.dynamic);
    let malloc = libc.function("malloc").unwrap();
    let off = libc.file_offset(malloc.address, true).unwrap();
    // A shared object's text segment maps address to offset one to one or by a page shift.
    assert!(off <= malloc.address, "0x{off:x} 0x{:x}", malloc.address);
}

#[test]
fn programs_come_from_absolute_path_entries_only() {
    let dir = tempfile::tempdir().unwrap();
    let prog = build(dir.path(), "lkt_prog", &[]);
    let real = std::fs::canonicalize(&prog).unwrap();
    let search = |path: &str| Search {
        path_var: path.to_string(),
        ..Search::system(None)
    };
    let p = format!("/nonexistent:{}", dir.path().display());
    assert_eq!(search(&p).resolve("lkt_prog").unwrap(), real);
    // The working directory (cargo runs tests in the crate root) is never searched.
    assert!(Path::new("Cargo.toml").exists());
    assert!(search(".::").resolve("Cargo.toml").is_err());
    // A file that is not executable is not a program.
    std::fs::write(dir.path().join("lkt_data"), "x").unwrap();
    assert!(search(&p).resolve("lkt_data").is_err());
    // Paths: absolute only, regular files only, canonical.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&prog, &link).unwrap();
    assert_eq!(search("").resolve(link.to_str().unwrap()).unwrap(), real);
    assert!(search("").resolve("tests/fixtures").is_err());
    assert!(matches!(
        regular(Path::new("/")),
        Err(Error::NotRegular { .. })
    ));
    assert!(search("").resolve("/dev/null").is_err());
    let e = search("/nonexistent")
        .resolve("no_such_program_or_library_lkt")
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
}
