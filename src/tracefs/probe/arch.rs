//! The calling conventions of the architectures kprobes run on: which registers hold a kernel
//! function's arguments at its entry, in the names `regs_query_register_offset` takes. One
//! table, so `arg1..argN` in a definition mean the same function arguments everywhere, and a
//! register that holds no argument (`%ax` at a function's entry on x86-64) can be pointed out.
//!
//! The machine is the running kernel's (`uname -m`, see [`crate::tracefs::features::machine`]):
//! on a remote agent, the agent's.

use std::fmt;

/// An architecture with a known kernel calling convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    /// 32-bit x86: the kernel is built with `-mregparm=3`.
    I386,
    Arm64,
    /// 32-bit arm (AAPCS).
    Arm,
    Riscv64,
    Powerpc64,
    S390x,
    Loongarch64,
}

/// One row of the table.
struct Convention {
    arch: Arch,
    name: &'static str,
    /// `uname -m` values of this architecture.
    machines: &'static [&'static str],
    /// Argument registers in order: `arg1` is the first.
    args: &'static [&'static str],
    /// The register the return value is in (`$retval` reads it in a return probe).
    ret: &'static str,
    /// Registers worth reading at a function entry that hold no argument (stack and frame
    /// pointers, the instruction pointer, flags): no warning for these.
    special: &'static [&'static str],
}

const TABLE: &[Convention] = &[
    Convention {
        arch: Arch::X86_64,
        name: "x86_64",
        machines: &["x86_64", "amd64"],
        args: &["di", "si", "dx", "cx", "r8", "r9"],
        ret: "ax",
        special: &["sp", "bp", "ip", "flags", "cs", "ss", "orig_ax"],
    },
    Convention {
        arch: Arch::I386,
        name: "i386",
        machines: &["i386", "i486", "i586", "i686"],
        args: &["ax", "dx", "cx"],
        ret: "ax",
        special: &[
            "sp", "bp", "ip", "flags", "cs", "ss", "ds", "es", "fs", "gs", "orig_ax",
        ],
    },
    Convention {
        arch: Arch::Arm64,
        name: "arm64",
        machines: &["aarch64", "arm64", "aarch64_be"],
        args: &["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"],
        ret: "x0",
        special: &["sp", "pc", "pstate", "x29", "x30"],
    },
    Convention {
        arch: Arch::Arm,
        name: "arm",
        machines: &["arm", "armv5tel", "armv6l", "armv7l", "armv7b", "armv8l"],
        args: &["r0", "r1", "r2", "r3"],
        ret: "r0",
        special: &["sp", "pc", "lr", "fp", "ip", "cpsr", "orig_r0"],
    },
    Convention {
        arch: Arch::Riscv64,
        name: "riscv64",
        machines: &["riscv64"],
        args: &["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"],
        ret: "a0",
        special: &[
            "sp", "ra", "gp", "tp", "s0", "epc", "status", "badaddr", "cause", "orig_a0",
        ],
    },
    Convention {
        arch: Arch::Powerpc64,
        name: "powerpc64",
        machines: &["ppc64", "ppc64le"],
        args: &[
            "gpr3", "gpr4", "gpr5", "gpr6", "gpr7", "gpr8", "gpr9", "gpr10",
        ],
        ret: "gpr3",
        special: &[
            "gpr1",
            "gpr2",
            "nip",
            "msr",
            "link",
            "ctr",
            "ccr",
            "xer",
            "orig_gpr3",
            "trap",
            "softe",
            "dar",
            "dsisr",
        ],
    },
    Convention {
        arch: Arch::S390x,
        name: "s390x",
        machines: &["s390x"],
        args: &["r2", "r3", "r4", "r5", "r6"],
        ret: "r2",
        special: &["r14", "r15"],
    },
    Convention {
        arch: Arch::Loongarch64,
        name: "loongarch64",
        machines: &["loongarch64"],
        args: &["r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11"],
        ret: "r4",
        special: &[
            "r1",
            "r2",
            "r3",
            "r22",
            "csr_era",
            "csr_badvaddr",
            "csr_crmd",
            "csr_prmd",
            "csr_euen",
            "csr_ecfg",
            "csr_estat",
        ],
    },
];

impl Arch {
    pub const ALL: [Arch; 8] = [
        Arch::X86_64,
        Arch::I386,
        Arch::Arm64,
        Arch::Arm,
        Arch::Riscv64,
        Arch::Powerpc64,
        Arch::S390x,
        Arch::Loongarch64,
    ];

    fn row(self) -> &'static Convention {
        // Every Arch has its row (a test walks ALL).
        TABLE.iter().find(|c| c.arch == self).unwrap_or(&TABLE[0])
    }

    /// The architecture of a `uname -m` machine name, when its convention is known.
    pub fn from_machine(machine: &str) -> Option<Arch> {
        TABLE
            .iter()
            .find(|c| c.machines.contains(&machine))
            .map(|c| c.arch)
    }

    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The argument registers, first argument first, without `%`.
    pub fn arg_registers(self) -> &'static [&'static str] {
        self.row().args
    }

    /// The register of argument `n` (1-based), when it is passed in a register.
    pub fn arg_register(self, n: u64) -> Option<&'static str> {
        let i = usize::try_from(n.checked_sub(1)?).ok()?;
        self.row().args.get(i).copied()
    }

    /// Argument `n` (1-based) at the entry of a user-space function, as a fetch argument:
    /// `%di` on x86-64; on i386, whose user code passes every argument on the stack (cdecl),
    /// `$stackN` (slot 0 holds the return address). The kernel's own conventions are the
    /// user ones elsewhere (regparm is a kernel build flag on i386 only).
    pub fn user_arg(self, n: u64) -> Option<String> {
        if self == Arch::I386 {
            return (n >= 1).then(|| format!("$stack{n}"));
        }
        self.arg_register(n).map(|r| format!("%{r}"))
    }

    /// The register the return value is in.
    pub fn return_register(self) -> &'static str {
        self.row().ret
    }

    /// True for a register that is worth reading at a function entry though it holds no
    /// argument (the stack pointer, say).
    pub fn is_special(self, reg: &str) -> bool {
        self.row().special.contains(&reg)
    }

    /// The argument registers as `%di, %si, ...`.
    pub fn arg_list(self) -> String {
        let regs: Vec<String> = self
            .arg_registers()
            .iter()
            .map(|r| format!("%{r}"))
            .collect();
        regs.join(", ")
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(machine: &str) -> Vec<&'static str> {
        Arch::from_machine(machine)
            .unwrap_or_else(|| panic!("{machine} unknown"))
            .arg_registers()
            .to_vec()
    }

    // One test per architecture: the kernel's own calling convention, in the register names
    // its regs_query_register_offset() takes (arch/*/kernel/ptrace.c).

    #[test]
    fn x86_64_sysv_abi() {
        assert_eq!(args("x86_64"), ["di", "si", "dx", "cx", "r8", "r9"]);
        let a = Arch::X86_64;
        assert_eq!(a.return_register(), "ax");
        assert_eq!(a.arg_register(1), Some("di"));
        assert_eq!(a.arg_register(7), None);
        assert_eq!(a.arg_register(0), None);
    }

    #[test]
    fn i386_regparm3() {
        for m in ["i386", "i686"] {
            assert_eq!(args(m), ["ax", "dx", "cx"]);
        }
        assert_eq!(Arch::I386.return_register(), "ax");
    }

    #[test]
    fn arm64_aapcs64() {
        assert_eq!(
            args("aarch64"),
            ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"]
        );
        // TRACEFS.md: Debian's arm64 kernel took `count=%x2:u64` on vfs_read(file, buf, count).
        assert_eq!(Arch::Arm64.arg_register(3), Some("x2"));
    }

    #[test]
    fn arm_aapcs() {
        for m in ["armv7l", "armv6l", "arm"] {
            assert_eq!(args(m), ["r0", "r1", "r2", "r3"]);
        }
        assert_eq!(Arch::Arm.arg_register(5), None);
    }

    #[test]
    fn riscv64_lp64() {
        assert_eq!(
            args("riscv64"),
            ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"]
        );
        assert_eq!(Arch::Riscv64.return_register(), "a0");
    }

    #[test]
    fn powerpc64_elfv1_v2() {
        for m in ["ppc64", "ppc64le"] {
            assert_eq!(
                args(m),
                ["gpr3", "gpr4", "gpr5", "gpr6", "gpr7", "gpr8", "gpr9", "gpr10"]
            );
        }
    }

    #[test]
    fn s390x_elf_abi() {
        assert_eq!(args("s390x"), ["r2", "r3", "r4", "r5", "r6"]);
        assert_eq!(Arch::S390x.return_register(), "r2");
    }

    #[test]
    fn loongarch64_lp64d() {
        assert_eq!(
            args("loongarch64"),
            ["r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11"]
        );
    }

    #[test]
    fn user_arguments_follow_the_user_abi() {
        assert_eq!(Arch::X86_64.user_arg(1).as_deref(), Some("%di"));
        assert_eq!(Arch::X86_64.user_arg(6).as_deref(), Some("%r9"));
        assert_eq!(Arch::X86_64.user_arg(7), None);
        // i386 user code is cdecl: on the stack, above the return address.
        assert_eq!(Arch::I386.user_arg(1).as_deref(), Some("$stack1"));
        assert_eq!(Arch::I386.user_arg(5).as_deref(), Some("$stack5"));
        assert_eq!(Arch::Arm64.user_arg(2).as_deref(), Some("%x1"));
        assert_eq!(Arch::Arm.user_arg(1).as_deref(), Some("%r0"));
        assert_eq!(Arch::Riscv64.user_arg(3).as_deref(), Some("%a2"));
        assert_eq!(Arch::Powerpc64.user_arg(1).as_deref(), Some("%gpr3"));
        assert_eq!(Arch::S390x.user_arg(1).as_deref(), Some("%r2"));
        for a in Arch::ALL {
            assert_eq!(a.user_arg(0), None, "{a}");
        }
    }

    #[test]
    fn every_arch_has_a_row_and_its_registers_are_kernel_names() {
        for a in Arch::ALL {
            assert_eq!(a.row().arch, a);
            for r in a.arg_registers() {
                assert!(super::super::registers::is_register(r), "{a}: %{r}");
                assert!(!a.is_special(r), "{a}: %{r}");
            }
        }
        assert_eq!(Arch::from_machine("mips64"), None);
        assert_eq!(Arch::X86_64.arg_list(), "%di, %si, %dx, %cx, %r8, %r9");
    }
}
