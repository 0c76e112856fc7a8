//! Register names the kernel's probes accept.

use super::parse::parse_decimal;

/// Register names `regs_query_register_offset` knows on x86 (32/64), arm64, arm, riscv,
/// powerpc and loongarch. The union, because a definition may be checked on one machine and
/// run on another (remote); the kernel has the last word for its own architecture.
pub(super) fn is_register(name: &str) -> bool {
    const NAMED: &[&str] = &[
        // x86
        "ax",
        "bx",
        "cx",
        "dx",
        "si",
        "di",
        "bp",
        "sp",
        "ip",
        "flags",
        "cs",
        "ss",
        "ds",
        "es",
        "fs",
        "gs",
        "orig_ax",
        // arm64, arm
        "pc",
        "pstate",
        "fp",
        "lr",
        "cpsr",
        "orig_r0",
        // riscv
        "ra",
        "gp",
        "tp",
        "epc",
        "status",
        "badaddr",
        "cause",
        "orig_a0",
        // powerpc
        "nip",
        "msr",
        "orig_gpr3",
        "ctr",
        "link",
        "xer",
        "ccr",
        "softe",
        "trap",
        "dar",
        "dsisr",
        // loongarch
        "csr_era",
        "csr_badvaddr",
        "csr_crmd",
        "csr_prmd",
        "csr_euen",
        "csr_ecfg",
        "csr_estat",
    ];
    const NUMBERED: &[(&str, u64)] = &[
        ("r", 31),
        ("x", 30),
        ("gpr", 31),
        ("a", 7),
        ("s", 11),
        ("t", 6),
    ];
    if NAMED.contains(&name) {
        return true;
    }
    NUMBERED.iter().any(|&(prefix, max)| {
        name.strip_prefix(prefix).is_some_and(|n| {
            // `r8`, not `r08`.
            !(n.len() > 1 && n.starts_with('0')) && parse_decimal(n).is_some_and(|v| v <= max)
        })
    })
}
