//! The probe grammar against real definitions and error_log lines of Debian 6.1 and the
//! profiler kernel, and random input.

use super::*;

fn ok(s: &str) -> ProbeDef {
    match ProbeDef::parse(s) {
        Ok(d) => d,
        Err(e) => panic!("{s:?} rejected: {} at {}", e.reason, e.position),
    }
}

/// Asserts the error and where its caret goes: `at` is the text the caret points to.
fn bad(s: &str, at: &str, reason_has: &str) {
    let e = match ProbeDef::parse(s) {
        Ok(d) => panic!("{s:?} accepted as {d:?}"),
        Err(e) => e,
    };
    assert_eq!(e.definition, s);
    assert!(
        s[e.position..].starts_with(at),
        "{s:?}: caret at {} ({:?}), wanted before {at:?}; reason {}",
        e.position,
        &s[e.position..],
        e.reason
    );
    assert!(
        e.reason.contains(reason_has),
        "{s:?}: reason {:?} lacks {reason_has:?}",
        e.reason
    );
}

fn round_trip(d: &ProbeDef) {
    let text = d.to_string();
    let back = ProbeDef::parse(&text)
        .unwrap_or_else(|e| panic!("{text:?} does not re-parse: {}", e.reason));
    assert_eq!(&back, d, "through {text:?}");
}

fn sym(symbol: &str, offset: u64) -> Target {
    Target::Symbol {
        module: None,
        symbol: symbol.into(),
        offset,
    }
}

#[test]
fn definitions_read_back_from_debian_6_1() {
    // tests/fixtures/debian/kprobe_events.txt and uprobe_events.txt: the kernel's own
    // listing parses, and prints back the same apart from the uprobe offset's zero padding.
    for line in include_str!("../../../tests/fixtures/debian/kprobe_events.txt").lines() {
        let d = ok(line);
        assert_eq!(d.to_string(), line);
        assert_eq!(d.group.as_deref(), Some("lkt_cap"));
        round_trip(&d);
    }
    let r = ok("r10:lkt_cap/openret do_sys_openat2 ret=$retval");
    assert_eq!(
        r.kind,
        ProbeKind::Kretprobe {
            maxactive: Some(10)
        }
    );
    assert_eq!(r.event_name(), "openret");
    let open =
        ok("p:lkt_cap/open do_sys_openat2 dfd=%di filename=+0(%si):string flags=+0(%dx):x32");
    assert_eq!(
        open.args[1],
        FetchArg {
            name: Some("filename".into()),
            fetch: "+0(%si)".into(),
            ty: Some("string".into())
        }
    );
    let up = ok(include_str!("../../../tests/fixtures/debian/uprobe_events.txt").trim());
    assert_eq!(up.kind, ProbeKind::Uprobe);
    assert_eq!(
        up.target,
        Target::User {
            path: "/bin/busybox".into(),
            offset: 0x1000,
            ref_ctr: None
        }
    );
    assert_eq!(up.to_string(), "p:lkt_cap/up /bin/busybox:0x1000");
    round_trip(&up);
}

#[test]
fn error_log_commands_of_debian_6_1_fail_at_the_kernels_caret() {
    // The commands the Debian 6.1.192 kernel rejected (tests/fixtures/debian/error_log.txt).
    // Three of the four are caught here, with the caret where the kernel put its own; the
    // missing symbol can only be found by the kernel.
    let log = crate::tracefs::error_log::parse(include_str!(
        "../../../tests/fixtures/debian/error_log.txt"
    ));
    assert_eq!(log.len(), 4);
    let mut caught = 0;
    for entry in &log {
        match ProbeDef::parse(&entry.command) {
            Err(e) => {
                caught += 1;
                assert_eq!(e.position, entry.caret, "{}: {}", entry.command, e.reason);
            }
            Ok(d) => {
                assert_eq!(entry.message, "Invalid probed address or symbol");
                assert_eq!(d.symbol(), Some("no_such_function_xyz"));
            }
        }
    }
    assert_eq!(caught, 3);
    bad(
        "p:lkt_cap/bad vfs_read $none_var",
        "$none_var",
        "invalid variable",
    );
    bad("r:lkt_cap/bad3 vfs_read+4", "vfs_read+4", "function entry");
    bad(
        "p:lkt_cap/bad4 vfs_read x=+0(%zz):u32",
        "%zz",
        "unknown register",
    );
}

#[test]
fn profiler_6_1_error_log_too() {
    let log = crate::tracefs::error_log::parse(include_str!(
        "../../../tests/fixtures/profiler/error_log.txt"
    ));
    let caught: Vec<_> = log
        .iter()
        .filter_map(|e| {
            ProbeDef::parse(&e.command)
                .err()
                .map(|err| (err.position, e.caret))
        })
        .collect();
    assert_eq!(caught.len(), 3);
    assert!(caught.iter().all(|(a, b)| a == b));
}

#[test]
fn perf_tools_forms() {
    let d = ok("p:do_sys_open");
    assert_eq!(
        (d.kind.clone(), d.event.clone(), d.group.clone()),
        (ProbeKind::Kprobe, None, None)
    );
    assert_eq!(d.target, sym("do_sys_open", 0));
    assert_eq!(d.event_name(), "do_sys_open");
    assert_eq!(d.to_string(), "p do_sys_open");

    let d = ok("r:do_sys_open");
    assert_eq!(d.kind, ProbeKind::Kretprobe { maxactive: None });
    assert_eq!(d.event_name(), "do_sys_open");

    let d = ok("r:do_sys_open $retval");
    assert_eq!(d.symbol(), Some("do_sys_open"));
    assert_eq!(d.event, None);
    assert_eq!(
        d.args,
        vec![FetchArg {
            name: None,
            fetch: "$retval".into(),
            ty: None
        }]
    );

    let d = ok("p:myopen do_sys_open mode=%cx:u16");
    assert_eq!(d.event.as_deref(), Some("myopen"));
    assert_eq!(d.symbol(), Some("do_sys_open"));
    assert_eq!(d.args[0].ty.as_deref(), Some("u16"));

    let d = ok("p:do_sys_open filename=+0(%si):string");
    assert_eq!(
        (d.event.as_deref(), d.symbol()),
        (None, Some("do_sys_open"))
    );
    let d = ok("p:do_sys_open +0(%si):string");
    assert_eq!(d.symbol(), Some("do_sys_open"));

    let d = ok("p do_sys_open");
    assert_eq!(
        (d.event.as_deref(), d.symbol()),
        (None, Some("do_sys_open"))
    );

    let d = ok("p:grp/ev sym");
    assert_eq!(
        (d.group.as_deref(), d.event.as_deref()),
        (Some("grp"), Some("ev"))
    );

    let d = ok("p:/bin/bash:0x4245c0");
    assert_eq!(d.kind, ProbeKind::Uprobe);
    assert_eq!(d.event_name(), "p_bash_0x4245c0");

    let d = ok("p:grp/ vfs_read");
    assert_eq!(
        (d.group.as_deref(), d.event.as_deref()),
        (Some("grp"), None)
    );
    assert_eq!(d.to_string(), "p:grp/ vfs_read");

    for s in [
        "p:do_sys_open",
        "r:do_sys_open $retval",
        "p:myopen do_sys_open mode=%cx:u16",
        "p do_sys_open",
        "p:grp/ev sym",
        "p:grp/ vfs_read",
        "p:/bin/bash:0x4245c0",
    ] {
        round_trip(&ok(s));
    }
}

#[test]
fn event_names() {
    assert_eq!(ok("p foo.isra.0").event_name(), "foo_isra_0");
    assert_eq!(ok("r ext4:ext4_file_open").event_name(), "ext4_file_open");
    assert_eq!(
        ok("p 0xffffffff81000000").event_name(),
        "p_0xffffffff81000000"
    );
    assert_eq!(
        ok("p /usr/lib/libc.so.6:0x10").event_name(),
        "p_libc_so_6_0x10"
    );
    assert_eq!(ok("r /bin/bash:0x10").event_name(), "p_bash_0x10");
    assert_eq!(ok("p:e vfs_read").event_name(), "e");
    assert_eq!(sanitize_event_name("9lives"), "_9lives");
}

#[test]
fn head_rules() {
    ok("r1 vfs_read");
    ok("r4096:g/e vfs_read");
    bad("r0 vfs_read", "0", "MAXACTIVE");
    bad("r4097 vfs_read", "4097", "MAXACTIVE");
    bad("r99999999999 vfs_read", "99999999999", "MAXACTIVE");
    bad("p1 vfs_read", "1", "only allowed after `r`");
    bad("r10 /bin/sh:0x10", "10", "uprobes take none");
    bad("x:foo vfs_read", "x:foo", "starts with `p` or `r`");
    bad("-:foo", "-:foo", "deletes");
    bad("f:foo vfs_read", "f:foo", "only kprobes and uprobes");
    bad("pp vfs_read", "p vfs", "expected `:`");
    bad("p: vfs_read", " vfs", "no event name");
    bad("", "", "empty");
    bad("   ", "", "empty");
}

#[test]
fn group_and_event_names() {
    let g63 = "g".repeat(63);
    let e64 = "e".repeat(64);
    let d = ok(&format!("p:{g63}/{e64} vfs_read"));
    assert_eq!(d.event.as_deref(), Some(e64.as_str()));
    bad(&format!("p:{g63}g/e vfs_read"), "ggg", "at most 63");
    bad(&format!("p:g/{e64}e vfs_read"), "eee", "at most 64");
    bad(&format!("p:{e64}e vfs_read"), "eee", "at most 64");
    ok("p:my-group/ev vfs_read");
    ok("p:_g-1/_e1 vfs_read");
    bad("p:1g/e vfs_read", "1g", "bad group name");
    bad("p:g.x/e vfs_read", "g.x", "bad group name");
    bad("p:/e vfs_read", "/e", "uprobe");
    bad("p:g/1e vfs_read", "1e", "bad event name");
    bad("p:g/e-x vfs_read", "e-x", "bad event name");
    bad("p:e.x vfs_read", "e.x", "bad event name");
}

#[test]
fn kernel_targets() {
    let d = ok("p vfs_read+0x10");
    assert_eq!(d.target, sym("vfs_read", 16));
    assert_eq!(d.to_string(), "p vfs_read+16");
    round_trip(&d);
    assert_eq!(
        ok("p vfs_read+010").target,
        sym("vfs_read", 8),
        "kstrtoul base 0: octal"
    );
    let d = ok("p ext4:ext4_file_open+4");
    assert_eq!(
        d.target,
        Target::Symbol {
            module: Some("ext4".into()),
            symbol: "ext4_file_open".into(),
            offset: 4
        }
    );
    round_trip(&d);
    assert_eq!(
        ok("p 0xffffffff81234567").target,
        Target::Address(0xffffffff81234567)
    );
    assert_eq!(
        ok("r 0xffffffff81234567").kind,
        ProbeKind::Kretprobe { maxactive: None }
    );
    ok("p vfs_read+4294967295");
    bad("p vfs_read+4294967296", "4294967296", "0xffffffff");
    bad("p vfs_read-4", "-4", "negative");
    bad("p vfs_read+", "", "bad offset");
    bad("p vfs_read+x", "x", "bad offset");
    bad("p 0xzz", "0xzz", "bad address");
    bad("p bash:0x10", "0x10", "bad symbol");
    bad("p vfs(read)", "vfs(read)", "bad symbol");
    bad("p :vfs_read", ":vfs_read", "bad module");
    bad("p:g/e", "", "no probe target");
    bad("p:g/e x=%di", "x=%di", "expected a probe target");
    bad("p $retval", "$retval", "expected a probe target");
}

#[test]
fn return_probes() {
    let d = ok("p:e vfs_read%return");
    assert_eq!(d.kind, ProbeKind::Kretprobe { maxactive: None });
    assert!(d.return_suffix && d.is_return());
    assert_eq!(d.to_string(), "p:e vfs_read%return");
    round_trip(&d);
    let d = ok("p vfs_read+0%return $retval");
    assert_eq!(d.target, sym("vfs_read", 0));
    let d = ok("r:e vfs_read+0 $retval:s64");
    assert!(!d.return_suffix);
    assert_eq!(d.to_string(), "r:e vfs_read $retval:s64");
    round_trip(&d);
    bad("p vfs_read+4%return", "vfs_read+4", "function entry");
    bad("r vfs_read%return", "%return", "`r` already");
    bad("p vfs_read%ret", "%ret", "suffix");
    bad("p 0xffff%return", "0xffff", "not an address");
    bad("p vfs_read $retval", "$retval", "return probes");
    bad("p /bin/sh:0x10 $retval", "$retval", "return probes");
}

#[test]
fn uprobe_targets() {
    let d = ok("p:g/e /bin/bash:0x4245c0%return(0x20) $retval");
    assert_eq!(d.kind, ProbeKind::Uretprobe);
    assert_eq!(
        d.target,
        Target::User {
            path: "/bin/bash".into(),
            offset: 0x4245c0,
            ref_ctr: Some(0x20)
        }
    );
    assert_eq!(
        d.to_string(),
        "p:g/e /bin/bash:0x4245c0%return(0x20) $retval"
    );
    round_trip(&d);
    let d = ok("r /opt/a:b/bin:4096(8)");
    assert_eq!(
        d.target,
        Target::User {
            path: "/opt/a:b/bin".into(),
            offset: 4096,
            ref_ctr: Some(8)
        }
    );
    assert_eq!(d.to_string(), "r /opt/a:b/bin:0x1000(0x8)");
    round_trip(&d);
    bad("p bin/bash:0x10", "bin/bash", "absolute");
    bad("p ./bash:0x10", "./bash", "absolute");
    bad("p /bin/bash", "/bin/bash", "PATH:OFFSET");
    bad("p /bin/bash:main", "main", "numeric offset");
    bad("p /bin/bash:0x1g", "0x1g", "bad uprobe offset");
    bad("p /bin/bash:0x10(0x20", "(0x20", "(OFFSET)");
    bad("p /bin/bash:0x10(zz)", "zz", "reference counter");
    bad("p /bin/bash:0x10%retur", "%retur", "suffix");
    bad("p /:0x10", "/:0x10", "bad uprobe path");
}

#[test]
fn fetch_args_good() {
    for s in [
        "p vfs_read %ax %di %r15 %orig_ax",
        "p vfs_read @0xffffffff81000000 @jiffies @jiffies+8 @jiffies-8:u64",
        "p vfs_read $stack $stack0 $stack2048 $arg1 $arg2:u32",
        "p vfs_read $comm c=$COMM:string",
        "p vfs_read +8(%di) -8(%di) +u0(%si):ustring -u4(+8(%di)):u8",
        "p vfs_read \\123 \\0x10 \\-1 \\+2 s=\\\"hello\\\":string t=\\\"x\\\"",
        "p vfs_read a=+0(%si):u8[4] b=+0(%si):x64[64] c=+0(%si):string[2]",
        "p vfs_read a=%ax:b4@2/8 b=%ax:b1@63/64 c=%ax:symbol d=%ax:symstr e=%ax:char f=@jiffies:string",
        "r vfs_read $retval $retval:x64 +0($retval):string",
        "p /bin/sh:0x10 @+0x20 @0x1000 %ax $stack3 +0(%di):ustring $comm",
        "r /bin/sh:0x10 $retval",
        "p vfs_read %x0 %gpr3 %a0 %s11 %t6 %pc %lr",
    ] {
        let d = ok(s);
        round_trip(&d);
        assert_eq!(d.to_string(), s, "canonical input prints back unchanged");
    }
    // Nested to the limit.
    let mut e = "%di".to_string();
    for _ in 0..MAX_DEREF_DEPTH {
        e = format!("+0({e})");
    }
    assert!(e.len() <= MAX_ARGSTR_LEN);
    ok(&format!("p vfs_read {e}"));
    let too_deep = format!("+0({e})");
    bad(&format!("p vfs_read {too_deep}"), "+0(", "nested");
}

#[test]
fn fetch_args_bad() {
    bad("p vfs_read %zz", "%zz", "unknown register");
    bad("p vfs_read %r08", "%r08", "unknown register");
    bad("p vfs_read %", "%", "unknown register");
    bad("p vfs_read @0xzz", "0xzz", "bad address");
    bad("p vfs_read @+0x10", "@+0x10", "uprobes only");
    bad(
        "p /bin/sh:0x10 @jiffies",
        "@jiffies",
        "not available with uprobes",
    );
    bad("p /bin/sh:0x10 @+zz", "zz", "bad file offset");
    bad("p vfs_read @jiffies+zz", "+zz", "bad symbol offset");
    bad("p vfs_read @9x", "9x", "bad address");
    bad("p vfs_read $stackx", "$stackx", "invalid variable");
    bad("p vfs_read $stack2049", "$stack2049", "at most 2048");
    bad("p vfs_read $arg0", "$arg0", "from 1");
    bad("p vfs_read $argx", "$argx", "invalid variable");
    bad("p vfs_read+4 $arg1", "$arg1", "function entry");
    bad("p 0xffffffff81000000 $arg1", "$arg1", "function entry");
    bad("r vfs_read $arg1", "$arg1", "return probes");
    bad("p /bin/sh:0x10 $arg1", "$arg1", "not uprobes");
    bad("p vfs_read $foo", "$foo", "invalid variable");
    bad("p vfs_read $comm:u32", "u32", "string only");
    bad("p vfs_read $comm:string[2]", "string[2]", "string only");
    bad("p vfs_read \\\"x\\\":u8", "u8", "string only");
    bad("p vfs_read +0($comm)", "$comm", "cannot be dereferenced");
    bad(
        "p vfs_read +0(\\\"s\\\")",
        "\\\"s",
        "cannot be dereferenced",
    );
    bad("p vfs_read 8(%di)", "8(%di)", "unknown fetch");
    bad("p vfs_read +8%di", "+8%di", "`(` is missing");
    bad("p vfs_read +x(%di)", "+x(%di)", "bad dereference offset");
    bad("p vfs_read +8(%di", "(%di", "`)` is missing");
    bad("p vfs_read +8(%di)x", "x", "after `)`");
    bad("p vfs_read +8(%zz)", "%zz", "unknown register");
    bad("p vfs_read \\abc", "abc", "bad immediate");
    bad("p vfs_read \\\"abc", "\\\"abc", "closing quote");
    bad("p vfs_read na-me", "na-me", "unknown fetch");
}

#[test]
fn types() {
    bad("p vfs_read %ax:u128", "u128", "unknown type");
    bad("p vfs_read %ax:", "", "empty type");
    bad("p vfs_read %ax:string", "string", "read from memory");
    bad("p vfs_read $stack0:ustring", "ustring", "read from memory");
    bad(
        "p vfs_read %ax:u8[4]",
        "u8[4]",
        "arrays are read from memory",
    );
    bad("p vfs_read +0(%ax):u8[0]", "0]", "1 to 64");
    bad("p vfs_read +0(%ax):u8[65]", "65]", "1 to 64");
    bad("p vfs_read +0(%ax):u8[4", "[4", "closing");
    bad("p vfs_read +0(%ax):u8[4]x", "x", "after `]`");
    bad("p /bin/sh:0x10 %ax:symbol", "symbol", "uprobes");
    bad("p /bin/sh:0x10 %ax:symstr", "symstr", "uprobes");
    bad("p vfs_read %ax:b4@2/12", "b4@2/12", "container");
    bad("p vfs_read %ax:b0@2/8", "b0@2/8", "fit");
    bad("p vfs_read %ax:b7@2/8", "b7@2/8", "fit");
    bad("p vfs_read %ax:b4/8", "b4/8", "`@` is missing");
    bad("p vfs_read %ax:b4@2", "b4@2", "`/` is missing");
    bad("p vfs_read %ax:bx@2/8", "bx@2/8", "width");
}

#[test]
fn arg_names_and_limits() {
    let n32 = "n".repeat(32);
    ok(&format!("p vfs_read {n32}=%ax"));
    bad(&format!("p vfs_read {n32}n=%ax"), "nnn", "at most 32");
    bad("p vfs_read =%ax", "=%ax", "name missing");
    bad("p vfs_read 1x=%ax", "1x=", "C identifier");
    bad("p vfs_read a-b=%ax", "a-b=", "C identifier");
    bad("p vfs_read x=", "", "empty argument");
    bad("p vfs_read a=%ax a=%bx", "a=%bx", "used twice");
    // The second argument's default name is arg2.
    bad("p vfs_read arg2=%ax %bx", "%bx", "`arg2` is used twice");
    ok("p vfs_read arg1=%ax %bx");
    for r in RESERVED_ARG_NAMES {
        bad(&format!("p vfs_read {r}=%ax"), r, "reserved");
    }
    // The name is judged before the expression, as the kernel does.
    bad("p vfs_read common_pid=%zz", "common_pid", "reserved");
    let body = format!("+{}(%di)", "0".repeat(MAX_ARGSTR_LEN - 6));
    assert_eq!(body.len(), MAX_ARGSTR_LEN);
    ok(&format!("p vfs_read x={body}"));
    let body64 = format!("+{}(%di)", "0".repeat(MAX_ARGSTR_LEN - 5));
    bad(&format!("p vfs_read x={body64}"), "+000", "at most 63");
    let args128: Vec<String> = (0..128).map(|i| format!("a{i}=%ax")).collect();
    ok(&format!("p vfs_read {}", args128.join(" ")));
    let args129: Vec<String> = (0..129).map(|i| format!("a{i}=%ax")).collect();
    bad(
        &format!("p vfs_read {}", args129.join(" ")),
        "a128=",
        "at most 128",
    );
}

#[test]
fn whole_line_rules() {
    // 4094 bytes pass, 4095 do not (trace_parse_run_command).
    let mut s = "p vfs_read".to_string();
    let mut i = 0;
    while s.len() + 16 < MAX_LINE_LEN {
        s.push_str(&format!(" a{i:03}=%ax"));
        i += 1;
    }
    let pad = MAX_LINE_LEN - s.len();
    let s4094 = format!("{s}{}", " ".repeat(pad));
    assert_eq!(s4094.len(), MAX_LINE_LEN);
    assert!(
        ProbeDef::parse(&s4094).is_err_and(|e| !e.reason.contains("bytes")),
        "128-arg limit, not length"
    );
    let short = format!("p vfs_read{}", " ".repeat(MAX_LINE_LEN - 10));
    assert_eq!(short.len(), MAX_LINE_LEN);
    ok(&short);
    let long = format!("{short} ");
    bad(&long, "", "4094");
    bad("p vfs_read # comment", "# comment", "comment");
    bad("p vfs_read\np vfs_write", "\np", "one definition");
    ok("  p vfs_read  \n");
    bad("p vfs_read x=\u{1}", "\u{1}", "control");
}

#[test]
fn display_prints_only_what_is_set() {
    let mut d = ok("p vfs_read count=%dx:u64");
    assert_eq!(d.to_string(), "p vfs_read count=%dx:u64");
    d.group = Some("lkt_1".into());
    assert_eq!(d.to_string(), "p:lkt_1/ vfs_read count=%dx:u64");
    d.event = Some(d.event_name());
    assert_eq!(d.to_string(), "p:lkt_1/vfs_read vfs_read count=%dx:u64");
    round_trip(&d);
    d.kind = ProbeKind::Kretprobe { maxactive: Some(5) };
    d.return_suffix = true;
    assert_eq!(d.to_string(), "r5:lkt_1/vfs_read vfs_read count=%dx:u64");
}

use crate::tracefs::trace_line::tests::Rng;

const SEEDS: &[&str] = &[
    "p:lkt_cap/open do_sys_openat2 dfd=%di filename=+0(%si):string flags=+0(%dx):x32",
    "r10:lkt_cap/openret do_sys_openat2 ret=$retval",
    "p:g/e /bin/bash:0x4245c0%return(0x20) $retval",
    "p vfs_read a=+0(%si):u8[4] b=%ax:b4@2/8 @jiffies+8 \\\"s\\\" $arg1 -u4(+8(%di)):u8",
    "p:do_sys_open filename=+0(%si):string",
    "p /bin/sh:0x10 @+0x20 $comm",
];

/// Random token soup: no panic, and an error's position is a char boundary inside the text.
#[test]
fn random_token_soup_never_panics() {
    let pieces: &[&str] = &[
        "p", "r", "r10", ":", "g/", "e", " ", "vfs_read", "+0x10", "/bin/sh", ":0x10", "%return",
        "(0x8)", "x=", "%di", "+0(", ")", "@", "@+", "$retval", "$arg1", "$stack", "$comm",
        ":string", ":u8[4]", ":b4@2/8", "\\\"", "\\1", "é", "=", "-u", "[", "]",
    ];
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..50_000 {
        let mut s = String::new();
        for _ in 0..rng.below(14) {
            s.push_str(pieces[rng.below(pieces.len())]);
        }
        match ProbeDef::parse(&s) {
            Ok(d) => round_trip(&d),
            Err(e) => assert!(e.position <= s.len() && s.is_char_boundary(e.position)),
        }
    }
}

/// Random edits of good definitions: every outcome is Ok (and then round-trips) or an error
/// whose position lies inside the text. Nothing panics.
#[test]
fn random_mutations_never_panic_and_round_trip() {
    let alphabet: &[char] = &[
        'p', 'r', ':', '/', '+', '-', '(', ')', '%', '@', '$', '=', '\\', '"', '[', ']', '0', '1',
        'x', ' ', 'é', 'u', 's', 'b', '.', '#', '\t',
    ];
    let mut rng = Rng(0x2545f4914f6cdd1d);
    let mut accepted = 0;
    for seed in SEEDS {
        for (i, _) in seed.char_indices() {
            for s in [&seed[..i], &seed[i..]] {
                if let Ok(d) = ProbeDef::parse(s) {
                    round_trip(&d);
                }
            }
        }
    }
    for _ in 0..30_000 {
        let mut s: Vec<char> = SEEDS[rng.below(SEEDS.len())].chars().collect();
        for _ in 0..1 + rng.below(3) {
            let pos = rng.below(s.len() + 1);
            match rng.below(3) {
                0 if pos < s.len() => {
                    s.remove(pos);
                }
                1 => s.insert(pos, alphabet[rng.below(alphabet.len())]),
                _ if pos < s.len() => s[pos] = alphabet[rng.below(alphabet.len())],
                _ => {}
            }
        }
        let s: String = s.into_iter().collect();
        match ProbeDef::parse(&s) {
            Ok(d) => {
                accepted += 1;
                round_trip(&d);
            }
            Err(e) => {
                assert!(e.position <= s.len());
                assert!(s.is_char_boundary(e.position));
            }
        }
    }
    assert!(
        accepted > 100,
        "mutations should not all be rejected ({accepted})"
    );
}
