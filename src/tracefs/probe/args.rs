//! Argument names made concrete for one kernel: portable `argN` become the calling convention's
//! registers of the running architecture ([`Arch`]), or `$argN` where the kernel resolves
//! arguments itself from BTF (6.5+, `CONFIG_PROBE_EVENTS_BTF_ARGS`), which also takes the
//! functions' own argument names (`filename`, `file->f_flags`). And registers that hold no
//! argument at a function's entry are pointed out.

use super::arch::Arch;
use super::fetch::{is_btf_name, portable_arg};
use super::*;

/// How argument names are given to this kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgMode {
    /// The kernel resolves `$argN` and argument names from BTF: pass them through.
    Btf,
    /// Translate `argN` to the registers of this architecture; `None` when the machine's
    /// convention is unknown (only definitions without `argN` can run).
    Registers(Option<Arch>),
    /// A uprobe: translate `argN` with the user-space calling convention of this architecture
    /// (registers, or stack slots where user code passes arguments on the stack).
    User(Option<Arch>),
}

/// A fetch expression split into its dereference wrapping and its innermost operand:
/// `+0(+8(arg1))` is (`+0(+8(`, `arg1`, `))`).
fn split_base(fetch: &str) -> (&str, &str, &str) {
    let mut start = 0;
    let mut depth = 0;
    let b = fetch.as_bytes();
    while start < b.len() && (b[start] == b'+' || b[start] == b'-') {
        match fetch[start..].find('(') {
            Some(open) => {
                start += open + 1;
                depth += 1;
            }
            None => break,
        }
    }
    let end = fetch.len().saturating_sub(depth);
    if depth == 0 || end < start || !fetch[end..].bytes().all(|c| c == b')') {
        return ("", fetch, "");
    }
    (&fetch[..start], &fetch[start..end], &fetch[end..])
}

impl ProbeDef {
    /// True when an argument uses a bare name (`argN` or a BTF name).
    pub fn uses_arg_names(&self) -> bool {
        self.args
            .iter()
            .any(|a| is_btf_name(split_base(&a.fetch).1))
    }

    /// This definition with its argument names made concrete for a kernel (see [`ArgMode`]).
    /// Unnamed `argN` arguments are named `argN`, so the field has the name that was written.
    pub fn resolve_args(&self, mode: ArgMode) -> Result<ProbeDef, ProbeError> {
        let mut out = self.clone();
        for a in &mut out.args {
            let (pre, base, post) = split_base(&a.fetch);
            if !is_btf_name(base) {
                continue;
            }
            let n = portable_arg(base);
            if a.name.is_none() && n.is_some() && pre.is_empty() {
                a.name = Some(base.to_string());
            }
            let replaced = match (mode, n) {
                (ArgMode::Btf, Some(n)) => format!("$arg{n}"),
                (ArgMode::Btf, None) => continue,
                (ArgMode::Registers(arch), Some(n)) => {
                    let Some(arch) = arch else {
                        return Err(self.arg_err(
                            base,
                            format!("`{base}`: the calling convention of this machine is not known; write a register"),
                        ));
                    };
                    let Some(reg) = arch.arg_register(n) else {
                        return Err(self.arg_err(
                            base,
                            format!(
                                "`{base}`: on {arch} only the first {} arguments are in registers ({})",
                                arch.arg_registers().len(),
                                arch.arg_list()
                            ),
                        ));
                    };
                    format!("%{reg}")
                }
                (ArgMode::User(arch), Some(n)) => {
                    let Some(arch) = arch else {
                        return Err(self.arg_err(
                            base,
                            format!("`{base}`: the calling convention of this machine is not known; write a register"),
                        ));
                    };
                    let Some(fetch) = arch.user_arg(n) else {
                        return Err(self.arg_err(
                            base,
                            format!(
                                "`{base}`: on {arch} only the first {} arguments are in registers ({})",
                                arch.arg_registers().len(),
                                arch.arg_list()
                            ),
                        ));
                    };
                    fetch
                }
                (ArgMode::Registers(_) | ArgMode::User(_), None) => {
                    return Err(self.arg_err(
                        base,
                        format!("`{base}`: argument names need a kernel with BTF arguments (6.5+ with CONFIG_PROBE_EVENTS_BTF_ARGS); write argN or a register"),
                    ))
                }
            };
            let is_string =
                a.ty.as_deref()
                    .is_some_and(|t| t == "string" || t == "ustring");
            a.fetch = if pre.is_empty()
                && is_string
                && matches!(mode, ArgMode::Registers(_) | ArgMode::User(_))
            {
                // A register holds the pointer; the string is behind it.
                format!("+0({replaced})")
            } else {
                format!("{pre}{replaced}{post}")
            };
        }
        Ok(out)
    }

    /// Warnings for registers read at a function's entry that hold no argument there on
    /// `arch` (`dfd=%ax` on x86-64, where the first argument is in %di), naming the register
    /// the argument at that place is in.
    pub fn register_warnings(&self, arch: Arch) -> Vec<String> {
        let entry = self.kind == ProbeKind::Kprobe
            && matches!(self.target, Target::Symbol { offset: 0, .. });
        if !entry {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, a) in self.args.iter().enumerate() {
            let Some(reg) = split_base(&a.fetch).1.strip_prefix('%') else {
                continue;
            };
            if arch.arg_registers().contains(&reg) || arch.is_special(reg) {
                continue;
            }
            let shown = match &a.name {
                Some(n) => format!("{n}=%{reg}"),
                None => format!("%{reg}"),
            };
            let why = if reg == arch.return_register() {
                " (it holds the return value, in a return probe)"
            } else {
                ""
            };
            let place = i + 1;
            let hint = match arch.arg_register(place as u64) {
                Some(r) => format!("; argument {place} is %{r} (or write arg{place})"),
                None => String::new(),
            };
            out.push(format!(
                "`{shown}`: %{reg} is not an argument register on {arch}{why}: the arguments are in {}{hint}",
                arch.arg_list()
            ));
        }
        out
    }

    fn arg_err(&self, token: &str, reason: String) -> ProbeError {
        let text = self.to_string();
        let position = text.find(token).unwrap_or(0);
        ProbeError {
            definition: text,
            reason,
            position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(def: &str, mode: ArgMode) -> String {
        ProbeDef::parse(def)
            .unwrap()
            .resolve_args(mode)
            .unwrap()
            .to_string()
    }

    #[test]
    fn split_finds_the_innermost_operand() {
        assert_eq!(split_base("arg1"), ("", "arg1", ""));
        assert_eq!(split_base("+0(arg2)"), ("+0(", "arg2", ")"));
        assert_eq!(split_base("+0(+8(%di))"), ("+0(+8(", "%di", "))"));
        assert_eq!(split_base("-8u(arg1)"), ("-8u(", "arg1", ")"));
        assert_eq!(split_base("$retval"), ("", "$retval", ""));
    }

    #[test]
    fn arg_n_becomes_the_registers_of_each_architecture() {
        let def = "p:myopen do_sys_openat2 dfd=arg1 filename=+0(arg2):string arg3";
        let want = [
            (Arch::X86_64, "dfd=%di filename=+0(%si):string arg3=%dx"),
            (Arch::I386, "dfd=%ax filename=+0(%dx):string arg3=%cx"),
            (Arch::Arm64, "dfd=%x0 filename=+0(%x1):string arg3=%x2"),
            (Arch::Arm, "dfd=%r0 filename=+0(%r1):string arg3=%r2"),
            (Arch::Riscv64, "dfd=%a0 filename=+0(%a1):string arg3=%a2"),
            (
                Arch::Powerpc64,
                "dfd=%gpr3 filename=+0(%gpr4):string arg3=%gpr5",
            ),
            (Arch::S390x, "dfd=%r2 filename=+0(%r3):string arg3=%r4"),
            (
                Arch::Loongarch64,
                "dfd=%r4 filename=+0(%r5):string arg3=%r6",
            ),
        ];
        for (arch, args) in want {
            let got = resolved(def, ArgMode::Registers(Some(arch)));
            assert_eq!(got, format!("p:myopen do_sys_openat2 {args}"), "{arch}");
            // And the result is a definition the grammar takes.
            ProbeDef::parse(&got).unwrap();
        }
    }

    #[test]
    fn a_string_behind_a_register_argument_is_dereferenced() {
        assert_eq!(
            resolved(
                "p:do_sys_openat2 filename=arg2:string",
                ArgMode::Registers(Some(Arch::X86_64))
            ),
            "p do_sys_openat2 filename=+0(%si):string"
        );
        assert_eq!(
            resolved("p:do_sys_openat2 filename=arg2:string", ArgMode::Btf),
            "p do_sys_openat2 filename=$arg2:string"
        );
    }

    #[test]
    fn uprobe_arg_n_is_the_user_calling_convention() {
        let def = "p:hit /lkt/upprog:0x1745 n=arg1 name=arg2:string arg3";
        assert_eq!(
            resolved(def, ArgMode::User(Some(Arch::X86_64))),
            "p:hit /lkt/upprog:0x1745 n=%di name=+0(%si):string arg3=%dx"
        );
        assert_eq!(
            resolved(def, ArgMode::User(Some(Arch::I386))),
            "p:hit /lkt/upprog:0x1745 n=$stack1 name=+0($stack2):string arg3=$stack3"
        );
        let got = resolved(def, ArgMode::User(Some(Arch::Arm64)));
        assert_eq!(
            got,
            "p:hit /lkt/upprog:0x1745 n=%x0 name=+0(%x1):string arg3=%x2"
        );
        ProbeDef::parse(&got).unwrap();
        let e = ProbeDef::parse("p /bin/sh:0x10 arg7")
            .unwrap()
            .resolve_args(ArgMode::User(Some(Arch::X86_64)))
            .unwrap_err();
        assert!(e.reason.contains("first 6"), "{e:?}");
    }

    #[test]
    fn btf_kernels_get_arg_n_and_names_through() {
        assert_eq!(
            resolved(
                "p:myopen do_sys_openat2 arg1 filename:string how->flags",
                ArgMode::Btf
            ),
            "p:myopen do_sys_openat2 arg1=$arg1 filename:string how->flags"
        );
        let e = ProbeDef::parse("p:do_sys_openat2 how->flags")
            .unwrap()
            .resolve_args(ArgMode::Registers(Some(Arch::X86_64)))
            .unwrap_err();
        assert!(e.reason.contains("BTF"), "{e:?}");
    }

    #[test]
    fn beyond_the_register_arguments_is_an_error() {
        let e = ProbeDef::parse("p:vfs_read arg5")
            .unwrap()
            .resolve_args(ArgMode::Registers(Some(Arch::Arm)))
            .unwrap_err();
        assert!(e.reason.contains("first 4"), "{e:?}");
        let e = ProbeDef::parse("p:vfs_read arg1")
            .unwrap()
            .resolve_args(ArgMode::Registers(None))
            .unwrap_err();
        assert!(e.reason.contains("not known"), "{e:?}");
    }

    #[test]
    fn dfd_in_ax_is_pointed_out() {
        let def = ProbeDef::parse("p:myprobe do_sys_open dfd=%ax filename=+0(%si):string").unwrap();
        let w = def.register_warnings(Arch::X86_64);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("`dfd=%ax`"), "{}", w[0]);
        assert!(w[0].contains("argument 1 is %di"), "{}", w[0]);
        assert!(w[0].contains("return value"), "{}", w[0]);
        // The same register is the first argument on i386; sp is never a mistake.
        let ax = ProbeDef::parse("p:myprobe do_sys_open dfd=%ax").unwrap();
        assert!(ax.register_warnings(Arch::I386).is_empty());
        let sp = ProbeDef::parse("p:vfs_read %sp %di").unwrap();
        assert!(sp.register_warnings(Arch::X86_64).is_empty());
        // A return probe reads %ax for the return value, an offset inside the function anything.
        let r = ProbeDef::parse("r:vfs_read %ax").unwrap();
        assert!(r.register_warnings(Arch::X86_64).is_empty());
        let off = ProbeDef::parse("p:vfs_read+4 %bx").unwrap();
        assert!(off.register_warnings(Arch::X86_64).is_empty());
        // An arm64 register on x86-64.
        let x = ProbeDef::parse("p:vfs_read count=%x2:u64").unwrap();
        let w = x.register_warnings(Arch::X86_64);
        assert!(w[0].contains("argument 1 is %di"), "{w:?}");
        assert!(x.register_warnings(Arch::Arm64).is_empty());
    }

    #[test]
    fn bare_names_parse_only_where_the_kernel_takes_them() {
        for ok in [
            "p:vfs_read arg1",
            "p vfs_read count",
            "p vfs_read file->f_flags:x32",
            "p vfs_read n=+0(arg2):u8",
        ] {
            let d = ProbeDef::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
            assert!(d.uses_arg_names(), "{ok}");
        }
        for bad in [
            "r vfs_read arg1",
            "p vfs_read+4 count",
            "p /bin/sh:0x10 count",
            "r /bin/sh:0x10 arg1",
            "p vfs_read arg0",
        ] {
            assert!(ProbeDef::parse(bad).is_err(), "{bad}");
        }
        assert!(ProbeDef::parse("p vfs_read %di arg1").is_err());
        assert!(!ProbeDef::parse("p vfs_read %di").unwrap().uses_arg_names());
    }
}
