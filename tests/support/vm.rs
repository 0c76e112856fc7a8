//! The real-kernel harness: boots Linux kernels in QEMU with a static lktrace in an initramfs,
//! runs a shell script of scenarios inside, and hands the host the per-command stdout, stderr and
//! exit code, cut out of the serial console by unique markers.
//!
//! The build machine's own kernel is never used: everything runs inside the guest. See
//! /work/shared/VM.md (and `tests/vm/setup.sh`) for the recipe this follows.
//!
//! Layout under `target/vm/` (gitignored):
//! - `debian12/`, `debian13/`  Debian's cloud kernel packages, extracted by `tests/vm/setup.sh`
//! - `profiler/`       the function-profiler kernel (copied from ../shared or built)
//! - `arm64/`          Debian 12's arm64 cloud kernel (`debian12/`) and busybox (setup-arm64.sh)
//! - `static/`         the static lktrace build (its own cargo target dir)
//! - `static-aarch64/` the same, cross-built for aarch64 (`aarch64-linux-gnu-gcc` links it)
//! - `runs/<name>/`    one initramfs tree, its `initrd.gz`, the console log and timings per boot

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The port the guest-side agent listens on (UDP); `hostfwd` maps a free host port to it.
pub const GUEST_PORT: u16 = 34023;

/// The tracefs files the snapshot prints (those a tool could change and must restore).
/// `trace_stat/` is deliberately left out: its contents change with every run.
const SNAPSHOT_FILES: &[&str] = &[
    "current_tracer",
    "tracing_on",
    "set_ftrace_filter",
    "set_ftrace_notrace",
    "set_graph_function",
    "kprobe_events",
    "uprobe_events",
    "dynamic_events",
    "set_event",
    "function_profile_enabled",
    "set_event_pid",
    "set_event_notrace_pid",
    "set_ftrace_pid",
    "set_ftrace_notrace_pid",
    "trace_clock",
    // funclatency: its synthetic event, and what hist triggers on common_timestamp change.
    "synthetic_events",
    "timestamp_mode",
    "tracing_cpumask",
    "options/stacktrace",
    "options/event-fork",
    "options/function-fork",
    "options/record-tgid",
    "options/record-cmd",
    "options/func_stack_trace",
    "options/sym-offset",
    // funcgraph and funcslower (the top-level function_graph tracer).
    "tracing_thresh",
    "max_graph_depth",
    "set_graph_notrace",
    "options/funcgraph-proc",
    "options/funcgraph-abstime",
    "options/funcgraph-cpu",
    "options/funcgraph-overhead",
    "options/funcgraph-duration",
    "options/funcgraph-tail",
    "options/funcgraph-irqs",
    "options/sleep-time",
    // Up to 6.5 the first event enabled anywhere expands these once and for all:
    // `assert_tracefs_unchanged` accepts exactly that step (docs/kernel-notes.md).
    "buffer_size_kb",
    "buffer_total_size_kb",
];

/// Bytes of event data in one ring-buffer page on x86-64 (4096 less the 16-byte page header):
/// the unit the kernel rounds an expanded buffer up to.
const RING_PAGE_DATA: u64 = 4080;

/// Virtio-net for Debian's modular kernel (VM.md); loaded in dependency order.
const NET_MODULES: &[&str] = &[
    "drivers/virtio/virtio",
    "drivers/virtio/virtio_ring",
    "drivers/virtio/virtio_pci_modern_dev",
    "drivers/virtio/virtio_pci_legacy_dev",
    "drivers/virtio/virtio_pci",
    "net/core/failover",
    "drivers/net/net_failover",
    "drivers/net/virtio_net",
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/vm/` of this clone: every generated artifact lives here.
pub fn vm_dir() -> PathBuf {
    repo().join("target").join("vm")
}

// ---------------------------------------------------------------------------------------------
// Kernels

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kernel {
    /// Debian 12's cloud kernel (6.1): kprobes, uprobes, function tracers, hist; no function
    /// profiler; virtio-net as modules.
    Debian12,
    /// Debian 13's cloud kernel (6.12): also fprobe events, BTF argument names, function_graph
    /// return values; virtio and virtio_pci built in, virtio_net a compressed module.
    Debian13,
    /// The 6.1 kernel with CONFIG_FUNCTION_PROFILER, virtio-net built in (no modules).
    Profiler,
    /// Debian 12's arm64 cloud kernel (6.1), booted with qemu-system-aarch64 `-M virt`: what
    /// Debian12 has (kprobes, uprobes, function tracers, hist), on aarch64. Not in
    /// [`Kernel::ALL`]: tests/vm_arm64.rs boots it.
    Arm64,
}

/// The machine a kernel runs on: which static lktrace, busybox and qemu it boots with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// The Rust target the static lktrace is built for.
    pub fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// The cargo target dir of that build, under `target/vm/`.
    fn static_dir(self) -> PathBuf {
        match self {
            Arch::X86_64 => vm_dir().join("static"),
            Arch::Aarch64 => vm_dir().join("static-aarch64"),
        }
    }

    fn qemu(self) -> &'static str {
        match self {
            Arch::X86_64 => "qemu-system-x86_64",
            Arch::Aarch64 => "qemu-system-aarch64",
        }
    }

    /// The machine and CPU qemu emulates (TCG): `-M virt` has a PL011 UART and PCIe on arm64.
    /// `pauth-impdef=on` signs pointers with QEMU's cheap hash instead of emulating QARMA: the
    /// kernel uses pointer authentication in every function, and with QARMA the same guest
    /// script took 87 s instead of 33 s (boot to /init 15 s instead of 4).
    fn machine_args(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["-accel", "tcg", "-cpu", "max"],
            Arch::Aarch64 => &["-M", "virt", "-accel", "tcg", "-cpu", "max,pauth-impdef=on"],
        }
    }

    /// The serial console's device name on the kernel command line.
    fn console(self) -> &'static str {
        match self {
            Arch::X86_64 => "ttyS0",
            Arch::Aarch64 => "ttyAMA0",
        }
    }

    /// The static busybox for the initramfs: the host's own on x86-64, the one
    /// tests/vm/setup-arm64.sh extracted from Debian's arm64 package on aarch64.
    fn busybox(self) -> Result<PathBuf, String> {
        let (candidates, why) = match self {
            Arch::X86_64 => (
                vec![
                    PathBuf::from("/bin/busybox"),
                    PathBuf::from("/usr/bin/busybox"),
                ],
                "no /bin/busybox: install busybox-static (tests/vm/setup.sh)",
            ),
            Arch::Aarch64 => (
                vec![vm_dir().join("arm64/busybox")],
                "no target/vm/arm64/busybox: run tests/vm/setup.sh (it calls setup-arm64.sh)",
            ),
        };
        candidates
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| why.to_string())
    }
}

impl Kernel {
    /// The x86-64 kernels tests/vm_tools.rs (and the other VM suites) boot side by side.
    pub const ALL: [Kernel; 3] = [Kernel::Debian12, Kernel::Debian13, Kernel::Profiler];

    pub fn arch(self) -> Arch {
        match self {
            Kernel::Arm64 => Arch::Aarch64,
            _ => Arch::X86_64,
        }
    }

    /// Also the test-name filter that boots only this kernel.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Debian12 => "debian12",
            Kernel::Debian13 => "debian13",
            Kernel::Profiler => "profiler",
            Kernel::Arm64 => "arm64",
        }
    }

    /// Its place in [`Kernel::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether this kernel has the function profiler (only the profiler kernel does).
    pub fn has_profiler(self) -> bool {
        self == Kernel::Profiler
    }

    /// The kernel image, or why it is not there.
    pub fn image(self) -> Result<PathBuf, String> {
        let setup = "run `tests/vm/setup.sh` (as root) first: it fetches or builds every kernel";
        match self {
            Kernel::Debian12 | Kernel::Debian13 | Kernel::Arm64 => {
                let boot = self.package_dir().join("boot");
                let found = std::fs::read_dir(&boot).ok().and_then(|rd| {
                    rd.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("vmlinuz-"))
                    })
                });
                found.ok_or_else(|| {
                    format!("no {} kernel in {} ({setup})", self.name(), boot.display())
                })
            }
            Kernel::Profiler => {
                let p = std::env::var_os("LKTRACE_VM_PROFILER_KERNEL")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| vm_dir().join("profiler/bzImage-6.1-profiler"));
                if p.is_file() {
                    Ok(p)
                } else {
                    Err(format!(
                        "no profiler kernel at {} ({setup}: it copies ../shared/kernels' image \
                         or builds one with tests/vm/build-profiler-kernel.sh; or set \
                         LKTRACE_VM_PROFILER_KERNEL)",
                        p.display()
                    ))
                }
            }
        }
    }

    /// Whether the test binary's name filters (the free arguments of `cargo test -- FILTER`)
    /// clearly ask for this kernel: no filter, or one naming it (`debian` names both Debian
    /// kernels). Such kernels boot at once, side by side, instead of when a test thread first
    /// gets to one of their tests.
    pub fn selected_by_filter(self) -> bool {
        const TAKES_VALUE: &[&str] = &[
            "--skip",
            "--test-threads",
            "--format",
            "--color",
            "--logfile",
            "-Z",
            "--report-time",
        ];
        let mut filters = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            if TAKES_VALUE.contains(&a.as_str()) {
                args.next();
            } else if !a.starts_with('-') {
                filters.push(a);
            }
        }
        filters.is_empty()
            || filters
                .iter()
                .any(|f| self.name().contains(f.as_str()) || f.contains(self.name()))
    }

    /// Where tests/vm/setup.sh extracted this kernel's package.
    fn package_dir(self) -> PathBuf {
        match self {
            Kernel::Arm64 => vm_dir().join("arm64/debian12"),
            _ => vm_dir().join(self.name()),
        }
    }

    /// `lib/modules/<ver>` of a modular kernel (`usr/lib/modules/<ver>` on Debian 13).
    fn modules_dir(self) -> Option<PathBuf> {
        if self == Kernel::Profiler {
            return None;
        }
        ["lib/modules", "usr/lib/modules"]
            .into_iter()
            .find_map(|base| {
                let ver = std::fs::read_dir(self.package_dir().join(base))
                    .ok()?
                    .filter_map(|e| e.ok())
                    .next()?;
                Some(ver.path())
            })
    }
}

// ---------------------------------------------------------------------------------------------
// The static binary

/// The static lktrace binary, built once per test process.
pub struct Binaries {
    pub dir: PathBuf,
}

impl Binaries {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// The names the guest runs lktrace by: `lktrace` and each standalone tool, which is a link to
/// the same binary (it acts as the tool its name says). Taken from the tool list, so a new tool
/// is in the guest without a line here.
pub fn tool_names() -> Vec<&'static str> {
    std::iter::once("lktrace")
        .chain(
            lktrace::tools::TOOLS
                .iter()
                .filter(|t| t.standalone())
                .map(|t| t.name()),
        )
        .collect()
}

/// Builds lktrace static (`+crt-static`, static-pie) into `target/vm/static`, once per process;
/// concurrent callers wait for the one build. Cargo's own lock on that target dir serializes
/// separate processes. Panics with cargo's output when the build fails.
pub fn static_binaries() -> &'static Binaries {
    static_binaries_for(Arch::X86_64)
}

/// [`static_binaries`] for `arch`: on aarch64 cross-built into `target/vm/static-aarch64`,
/// linked by Debian's `aarch64-linux-gnu-gcc` against its static glibc (libc6-dev-arm64-cross).
pub fn static_binaries_for(arch: Arch) -> &'static Binaries {
    static X86_64: OnceLock<Result<Binaries, String>> = OnceLock::new();
    static AARCH64: OnceLock<Result<Binaries, String>> = OnceLock::new();
    let cell = match arch {
        Arch::X86_64 => &X86_64,
        Arch::Aarch64 => &AARCH64,
    };
    match cell.get_or_init(|| build_static(arch)) {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    }
}

fn build_static(arch: Arch) -> Result<Binaries, String> {
    let target_dir = arch.static_dir();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let start = Instant::now();
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "build",
        "--release",
        "--target",
        arch.rust_target(),
        "--bin",
        "lktrace",
        "--manifest-path",
    ]);
    if arch == Arch::Aarch64 {
        let linker = "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER";
        if std::env::var_os(linker).is_none() {
            cmd.env(linker, "aarch64-linux-gnu-gcc");
        }
    }
    let out = cmd
        .arg(repo().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !out.status.success() {
        return Err(format!(
            "static {} build of lktrace failed ({}; tests/vm/setup.sh installs what it needs):\n{}",
            arch.rust_target(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let dir = target_dir.join(arch.rust_target()).join("release");
    if !dir.join("lktrace").is_file() {
        return Err(format!(
            "static build produced no {}",
            dir.join("lktrace").display()
        ));
    }
    eprintln!(
        "vm: static lktrace ({}) built in {:.1}s",
        arch.rust_target(),
        start.elapsed().as_secs_f64()
    );
    Ok(Binaries { dir })
}

// ---------------------------------------------------------------------------------------------
// The guest script

/// Quotes `s` for a POSIX shell: one single-quoted word.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r#"'"'"'"#))
}

/// Shell library sourced by /init before the scenario script.
pub fn guest_lib() -> String {
    let mut snap_files = String::new();
    for f in SNAPSHOT_FILES {
        snap_files.push_str(f);
        snap_files.push(' ');
    }
    format!(
        r#"# lktrace VM harness: guest side.
T=/sys/kernel/tracing
export T

# _emit NAME RC FILE: FILE between markers, always ending on a line of its own.
_emit() {{
    echo "=====BEGIN $1====="
    if [ -s "$3" ]; then
        cat "$3"
        [ -n "$(tail -c1 "$3")" ] && echo
    fi
    echo "=====END $1 rc=$2====="
}}

# run NAME SECS CMD: CMD (a shell command line) under a timeout; stdout, stderr and rc marked.
run() {{
    _n=$1; _t=$2; _c=$3
    timeout "$_t" sh -c "$_c" >/tmp/.o 2>/tmp/.e </dev/null
    _rc=$?
    _emit "$_n" "$_rc" /tmp/.o
    _emit "$_n.stderr" "$_rc" /tmp/.e
}}

# await_tracing: waits (up to 60 s) until the tool being run says it is tracing. Background
# workloads start with it, so they never race the tool's set-up.
await_tracing() {{
    _i=0
    while ! grep -qs 'Tracing' /tmp/.o /tmp/.e; do
        sleep 0.2
        _i=$((_i + 1))
        [ "$_i" -ge 300 ] && return 1
    done
    return 0
}}

# value NAME TEXT: a one-line block (e.g. a pid the host needs).
value() {{
    echo "$2" >/tmp/.v
    _emit "$1" 0 /tmp/.v
}}

# snap NAME: the tracefs state that matters, as a marked block.
snap() {{
    {{
        for f in {snap_files}; do
            if [ -e "$T/$f" ]; then
                echo "--- $f"
                cat "$T/$f" 2>&1
            fi
        done
        echo "--- /proc/sys/kernel/ftrace_enabled"
        cat /proc/sys/kernel/ftrace_enabled 2>&1
        echo "--- instances/"
        ls "$T/instances"
    }} >/tmp/.s
    _emit "$1" 0 /tmp/.s
}}
"#
    )
}

/// A scenario script, built on the host. Each method appends shell text.
#[derive(Debug, Default, Clone)]
pub struct Script {
    body: String,
}

impl Script {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shell text appended as is (one or more lines).
    pub fn raw(&mut self, shell: &str) -> &mut Self {
        self.body.push_str(shell);
        if !shell.ends_with('\n') {
            self.body.push('\n');
        }
        self
    }

    /// Runs `cmd` (a shell command line, run by `sh -c`; exported variables are visible) with a
    /// timeout; the host gets block `name` (stdout, stderr, rc).
    pub fn run(&mut self, name: &str, secs: u32, cmd: &str) -> &mut Self {
        check_name(name);
        let _ = writeln!(self.body, "run {name} {secs} {}", sh_quote(cmd));
        self
    }

    /// Prints block `name` with the value of a shell expression (e.g. `"$LOOP"`).
    pub fn value(&mut self, name: &str, shell_expr: &str) -> &mut Self {
        check_name(name);
        let _ = writeln!(self.body, "value {name} {shell_expr}");
        self
    }

    /// Snapshot of tracefs as block `name`.
    pub fn snapshot(&mut self, name: &str) -> &mut Self {
        check_name(name);
        let _ = writeln!(self.body, "snap {name}");
        self
    }

    /// Starts `shell` in the background (a subshell, output discarded).
    pub fn background(&mut self, shell: &str) -> &mut Self {
        // Clear the last command's output first, so `await_tracing` waits for the next one.
        let _ = writeln!(
            self.body,
            ": >/tmp/.o; : >/tmp/.e; ( {shell} ) >/dev/null 2>&1 &"
        );
        self
    }

    /// Waits for every background job.
    pub fn wait(&mut self) -> &mut Self {
        self.raw("wait")
    }

    /// A scenario: snapshot `<name>.before`, `body`, wait for background jobs, snapshot
    /// `<name>.after`. Check with [`Run::assert_tracefs_unchanged`].
    ///
    /// `LKTRACE_VM_ONLY=up_,tp_` runs only the scenarios whose names start so (a quicker boot
    /// while working on a few; the tests of the others then fail, so filter them out too).
    pub fn scenario(&mut self, name: &str, body: impl FnOnce(&mut Script)) -> &mut Self {
        if let Ok(only) = std::env::var("LKTRACE_VM_ONLY") {
            if !only
                .split(',')
                .any(|p| !p.is_empty() && name.starts_with(p))
            {
                return self;
            }
        }
        let _ = writeln!(self.body, "echo '=====SCENARIO {name}====='");
        self.snapshot(&format!("{name}.before"));
        body(self);
        self.wait();
        self.snapshot(&format!("{name}.after"));
        self
    }

    pub fn text(&self) -> &str {
        &self.body
    }
}

fn check_name(name: &str) {
    assert!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
        "bad block name {name:?}"
    );
}

/// A token unique to this test process, for marker file names.
pub fn token() -> String {
    static TOK: OnceLock<String> = OnceLock::new();
    TOK.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{:x}{:x}", std::process::id(), nanos)
    })
    .clone()
}

// ---------------------------------------------------------------------------------------------
// Booting

/// One guest boot: which kernel, the script, and options.
pub struct Vm {
    pub kernel: Kernel,
    /// Unique per boot: the name of its directory under `target/vm/runs/`.
    pub name: String,
    pub script: Script,
    /// Bring up eth0 (loading virtio-net modules on Debian) with a UDP hostfwd to
    /// [`GUEST_PORT`] from a free host port.
    pub net: bool,
    /// Hard timeout for the whole boot; qemu is killed (by its pid) when it passes.
    pub timeout: Duration,
    pub cpus: u32,
    pub memory_mb: u32,
    /// Extra files for the initramfs: (path inside the guest, contents).
    pub files: Vec<(String, Vec<u8>)>,
    /// Called on the host for each console line as it arrives, with the forwarded host port:
    /// lets a test act while the guest runs (e.g. on a `READY` line the guest script prints,
    /// send datagrams to `127.0.0.1:port`, which reach the guest's port [`GUEST_PORT`]).
    pub on_line: Option<LineHook>,
}

/// See [`Vm::on_line`].
pub type LineHook = Box<dyn FnMut(&str, Option<u16>) + Send>;

impl Vm {
    pub fn new(kernel: Kernel, name: &str, script: Script) -> Self {
        let timeout = std::env::var("LKTRACE_VM_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(900));
        Vm {
            kernel,
            name: name.to_string(),
            script,
            net: false,
            timeout,
            cpus: 2,
            memory_mb: 512,
            files: Vec::new(),
            on_line: None,
        }
    }

    /// Builds the initramfs, boots, runs the script, returns the parsed console.
    pub fn boot(mut self) -> Result<Run, String> {
        let image = self.kernel.image()?;
        let arch = self.kernel.arch();
        let bins = static_binaries_for(arch);
        let dir = vm_dir().join("runs").join(&self.name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let initrd = self.build_initramfs(&dir, bins)?;

        let host_port = if self.net {
            Some(free_udp_port()?)
        } else {
            None
        };
        let mut cmd = Command::new(arch.qemu());
        cmd.args(arch.machine_args())
            .args(["-nographic", "-no-reboot"])
            .args([
                "-m",
                &self.memory_mb.to_string(),
                "-smp",
                &self.cpus.to_string(),
            ])
            .arg("-kernel")
            .arg(&image)
            .arg("-initrd")
            .arg(&initrd)
            .arg("-append")
            .arg(format!("console={} quiet panic=-1", arch.console()));
        match host_port {
            Some(p) => {
                cmd.args([
                    "-netdev",
                    &format!("user,id=n0,hostfwd=udp:127.0.0.1:{p}-:{GUEST_PORT}"),
                ])
                .args(["-device", "virtio-net-pci,netdev=n0"]);
            }
            None => {
                cmd.args(["-net", "none"]);
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());

        let start = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", arch.qemu()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let booted_at: Arc<Mutex<Option<Duration>>> = Arc::default();
        let reader = {
            let log = Arc::clone(&log);
            let booted_at = Arc::clone(&booted_at);
            let mut hook = self.on_line.take();
            std::thread::spawn(move || {
                let mut r = BufReader::new(stdout);
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    match r.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let line = String::from_utf8_lossy(&buf).replace('\r', "");
                    if let Some(h) = hook.as_mut() {
                        h(line.trim_end_matches('\n'), host_port);
                    }
                    if line.contains("=====BOOTED ") {
                        *booted_at.lock().unwrap() = Some(start.elapsed());
                    }
                    log.lock().unwrap().push_str(&line);
                }
            })
        };
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut s);
            s
        });

        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break Some(st),
                Ok(None) => {}
                Err(e) => return Err(format!("waiting for qemu: {e}")),
            }
            if start.elapsed() > self.timeout {
                timed_out = true;
                let _ = child.kill(); // SIGKILL to qemu's own pid
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let total = start.elapsed();
        let _ = reader.join();
        let qemu_stderr = err_reader.join().unwrap_or_default();
        let log = std::mem::take(&mut *log.lock().unwrap());
        let boot_to_marker = *booted_at.lock().unwrap();
        let _ = std::fs::write(dir.join("console.log"), &log);

        let console = Console::parse(&log);
        let guest_uptime_at_marker = console.booted_uptime;
        let mut problems = Vec::new();
        if timed_out {
            problems.push(format!("qemu killed after the {:?} timeout", self.timeout));
        } else if let Some(st) = status {
            if !st.success() {
                problems.push(format!("qemu exited with {st}"));
            }
        }
        if boot_to_marker.is_some() && !console.done {
            problems.push("the guest script did not reach its end (DONE marker missing)".into());
        }
        let run = Run {
            kernel: self.kernel,
            name: self.name.clone(),
            console,
            host_port,
            timings: Timings {
                boot_to_marker,
                guest_uptime_at_marker,
                total,
            },
            problem: (!problems.is_empty()).then(|| problems.join("; ")),
        };
        let _ = std::fs::write(
            dir.join("timings.txt"),
            format!("{}\n", run.timings.describe(self.kernel)),
        );
        if boot_to_marker.is_some() {
            // Even a boot cut short holds the blocks of the scenarios that finished.
            return Ok(run);
        }
        Err(format!(
            "{} kernel boot `{}`: the guest never reached /init's BOOTED marker{}\n\
             --- qemu stderr ---\n{}\n--- console log ({}) ---\n{}",
            self.kernel.name(),
            self.name,
            run.problem.map(|p| format!(" ({p})")).unwrap_or_default(),
            qemu_stderr.trim_end(),
            dir.join("console.log").display(),
            log
        ))
    }

    fn build_initramfs(&self, dir: &Path, bins: &Binaries) -> Result<PathBuf, String> {
        let root = dir.join("root");
        let io = |what: &str, e: std::io::Error| format!("initramfs {what}: {e}");
        for d in [
            "bin",
            "lkt/modules",
            "dev",
            "proc",
            "sys",
            "tmp",
            "var/tmp",
            "run",
            "etc",
        ] {
            std::fs::create_dir_all(root.join(d)).map_err(|e| io(d, e))?;
        }
        // World-writable and sticky, as on a real system: perf-tools' lock file lives in
        // /var/tmp (the rough scenario takes it).
        for d in ["tmp", "var/tmp"] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root.join(d), std::fs::Permissions::from_mode(0o1777))
                .map_err(|e| io(d, e))?;
        }
        let busybox = self.kernel.arch().busybox()?;
        std::fs::copy(&busybox, root.join("bin/busybox")).map_err(|e| io("busybox", e))?;
        std::fs::copy(bins.path("lktrace"), root.join("bin/lktrace"))
            .map_err(|e| io("lktrace", e))?;
        for b in tool_names().into_iter().skip(1) {
            std::os::unix::fs::symlink("lktrace", root.join("bin").join(b))
                .map_err(|e| io(b, e))?;
        }
        // A payload for dd workloads: `dd if=/lkt/payload bs=1 count=100` = 100 reads.
        let payload: Vec<u8> = (0..8192u32).map(|i| b'a' + (i % 26) as u8).collect();
        std::fs::write(root.join("lkt/payload"), payload).map_err(|e| io("payload", e))?;
        std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
            .map_err(|e| io("passwd", e))?;

        let mut net = String::new();
        if self.net {
            if let Some(mods) = self.kernel.modules_dir() {
                // What this kernel built in needs no insmod (Debian 13: virtio, virtio_pci).
                let builtin = builtin_modules(
                    &std::fs::read_to_string(mods.join("modules.builtin")).unwrap_or_default(),
                );
                let mut deps = BTreeMap::new();
                for m in NET_MODULES {
                    let base = Path::new(m).file_name().unwrap().to_str().unwrap();
                    if builtin.iter().any(|b| b == base) {
                        continue;
                    }
                    let dst = root.join("lkt/modules").join(format!("{base}.ko"));
                    copy_module(&mods.join("kernel").join(m), &dst)?;
                    let bytes = std::fs::read(&dst).map_err(|e| io(base, e))?;
                    let needs = module_depends(&bytes)
                        .into_iter()
                        .filter(|d| !builtin.contains(d))
                        .collect();
                    deps.insert(base.to_string(), needs);
                }
                for base in load_order(&deps)? {
                    let _ = writeln!(
                        net,
                        "insmod /lkt/modules/{base}.ko || echo 'vm: insmod {base} failed'"
                    );
                }
            }
            net.push_str(
                "ip link set lo up\nip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && \
                 ip route add default via 10.0.2.2 || echo 'vm: network setup failed'\n",
            );
        }
        for (path, data) in &self.files {
            let p = root.join(path.trim_start_matches('/'));
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(path, e))?;
            }
            std::fs::write(&p, data).map_err(|e| io(path, e))?;
        }
        std::fs::write(root.join("lkt/lib.sh"), guest_lib()).map_err(|e| io("lib.sh", e))?;
        std::fs::write(root.join("lkt/scenario.sh"), self.script.text())
            .map_err(|e| io("scenario.sh", e))?;
        let init = format!(
            r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tracefs nodev /sys/kernel/tracing
echo "=====BOOTED uptime=$(cut -d' ' -f1 /proc/uptime) cpus=$(nproc) kernel=$(uname -r)====="
{net}cd /tmp
. /lkt/lib.sh
. /lkt/scenario.sh
echo "=====DONE uptime=$(cut -d' ' -f1 /proc/uptime)====="
sync
reboot -f
"#
        );
        let init_path = root.join("init");
        std::fs::write(&init_path, init).map_err(|e| io("init", e))?;
        set_exec(&init_path)?;
        for b in [
            "bin/busybox",
            "bin/lktrace",
            "bin/funccount",
            "bin/kprobe",
            "bin/tpoint",
        ] {
            set_exec(&root.join(b))?;
        }

        let initrd = dir.join("initrd.gz");
        let sh = format!(
            "cd {} && find . | cpio -o -H newc --quiet -R 0:0 | gzip -1 > {}",
            sh_quote(&root.to_string_lossy()),
            sh_quote(&initrd.to_string_lossy())
        );
        let out = Command::new("bash")
            .args(["-c", &format!("set -o pipefail; {sh}")])
            .output()
            .map_err(|e| format!("cpio: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "packing the initramfs failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(initrd)
    }
}

fn set_exec(p: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("chmod {}: {e}", p.display()))
}

/// Copies `<base>.ko`, or decompresses `<base>.ko.xz` / `.ko.zst` on the host (busybox insmod
/// cannot read compressed modules).
fn copy_module(base: &Path, dst: &Path) -> Result<(), String> {
    let plain = base.with_extension("ko");
    if plain.is_file() {
        return std::fs::copy(&plain, dst)
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", plain.display()));
    }
    for (ext, tool) in [("ko.xz", "xz"), ("ko.zst", "zstd")] {
        let c = base.with_extension(ext);
        if c.is_file() {
            let out = Command::new(tool)
                .args(["-d", "-c"])
                .arg(&c)
                .output()
                .map_err(|e| format!("{tool} -d {}: {e}", c.display()))?;
            if !out.status.success() {
                return Err(format!("{tool} -d {} failed", c.display()));
            }
            return std::fs::write(dst, out.stdout).map_err(|e| format!("{}: {e}", dst.display()));
        }
    }
    Err(format!("module {}.ko(.xz|.zst) not found", base.display()))
}

/// Module names (`virtio_pci`) in a kernel's `modules.builtin` (`kernel/drivers/virtio/virtio_pci.ko`
/// per line), with `-` read as `_` as the kernel does.
pub fn builtin_modules(list: &str) -> Vec<String> {
    list.lines()
        .filter_map(|l| Path::new(l.trim()).file_name()?.to_str())
        .filter_map(|n| n.strip_suffix(".ko"))
        .map(|n| n.replace('-', "_"))
        .collect()
}

/// The `depends=` list in a module's .modinfo (the names it needs loaded first).
pub fn module_depends(ko: &[u8]) -> Vec<String> {
    let key = b"\0depends=";
    let Some(i) = ko.windows(key.len()).position(|w| w == key) else {
        return Vec::new();
    };
    let rest = &ko[i + key.len()..];
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    String::from_utf8_lossy(&rest[..end])
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.replace('-', "_"))
        .collect()
}

/// Orders modules so each comes after what it depends on (VM.md's list order is not enough:
/// `virtio` needs `virtio_ring`).
pub fn load_order(deps: &BTreeMap<String, Vec<String>>) -> Result<Vec<String>, String> {
    fn visit(
        m: &str,
        deps: &BTreeMap<String, Vec<String>>,
        done: &mut Vec<String>,
        stack: &mut Vec<String>,
    ) -> Result<(), String> {
        if done.iter().any(|d| d == m) {
            return Ok(());
        }
        if stack.iter().any(|d| d == m) {
            return Err(format!("module dependency cycle through {m}"));
        }
        let Some(ds) = deps.get(m) else {
            return Err(format!("module {m} is needed but not in the copied set"));
        };
        stack.push(m.to_string());
        for d in ds {
            visit(d, deps, done, stack)?;
        }
        stack.pop();
        done.push(m.to_string());
        Ok(())
    }
    let mut done = Vec::new();
    for m in deps.keys() {
        visit(m, deps, &mut done, &mut Vec::new())?;
    }
    Ok(done)
}

/// A free UDP port on 127.0.0.1 (bind to port 0, read it back, release it).
pub fn free_udp_port() -> Result<u16, String> {
    let s =
        std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    s.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Results

#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// Host wall clock from spawning qemu to the guest's BOOTED marker.
    pub boot_to_marker: Option<Duration>,
    /// The guest's /proc/uptime at that marker.
    pub guest_uptime_at_marker: Option<f64>,
    /// Host wall clock of the whole boot, until qemu exited.
    pub total: Duration,
}

impl Timings {
    pub fn describe(&self, k: Kernel) -> String {
        format!(
            "{}: boot-to-marker {} (guest uptime {}), whole boot {:.1}s",
            k.name(),
            self.boot_to_marker
                .map(|d| format!("{:.1}s", d.as_secs_f64()))
                .unwrap_or_else(|| "-".into()),
            self.guest_uptime_at_marker
                .map(|u| format!("{u:.1}s"))
                .unwrap_or_else(|| "-".into()),
            self.total.as_secs_f64()
        )
    }
}

/// One command's results, cut out of the console.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub stdout: String,
    pub stderr: String,
    pub rc: i32,
}

/// The console log and the blocks in it.
#[derive(Debug, Clone, Default)]
pub struct Console {
    pub log: String,
    pub blocks: BTreeMap<String, Block>,
    pub booted_uptime: Option<f64>,
    pub done: bool,
}

impl Console {
    /// Finds `=====BEGIN name=====` … `=====END name rc=N=====` pairs. Markers are matched
    /// anywhere in a line, so a kernel message printed into the same line does not hide them.
    pub fn parse(log: &str) -> Console {
        let mut c = Console {
            log: log.to_string(),
            ..Console::default()
        };
        let mut open: Option<(String, Vec<&str>)> = None;
        for line in log.lines() {
            if let Some((name, lines)) = open.as_mut() {
                let end = format!("=====END {name} rc=");
                if let Some(i) = line.find(&end) {
                    let rest = &line[i + end.len()..];
                    let rc = rest
                        .split("=====")
                        .next()
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(-1);
                    let before = &line[..i];
                    if !before.is_empty() {
                        lines.push(before);
                    }
                    let mut text = lines.join("\n");
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    let name = name.clone();
                    c.store(&name, text, rc);
                    open = None;
                } else {
                    lines.push(line);
                }
                continue;
            }
            if let Some(name) = marker_arg(line, "=====BEGIN ") {
                open = Some((name.to_string(), Vec::new()));
            } else if let Some(rest) = marker_arg(line, "=====BOOTED ") {
                c.booted_uptime = rest
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("uptime="))
                    .and_then(|u| u.parse().ok());
            } else if line.contains("=====DONE ") {
                c.done = true;
            }
        }
        c
    }

    fn store(&mut self, name: &str, text: String, rc: i32) {
        if let Some(base) = name.strip_suffix(".stderr") {
            let b = self.blocks.entry(base.to_string()).or_default();
            b.stderr = text;
        } else {
            let b = self.blocks.entry(name.to_string()).or_default();
            b.stdout = text;
            b.rc = rc;
        }
    }
}

/// `…=====BEGIN name=====…` → `name`.
fn marker_arg<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let i = line.find(prefix)?;
    let rest = &line[i + prefix.len()..];
    let j = rest.find("=====")?;
    Some(&rest[..j])
}

/// A finished boot.
#[derive(Debug, Clone)]
pub struct Run {
    pub kernel: Kernel,
    pub name: String,
    pub console: Console,
    pub host_port: Option<u16>,
    pub timings: Timings,
    /// What went wrong with the boot as a whole (a timeout, the script cut short), if anything.
    pub problem: Option<String>,
}

impl Run {
    /// Panics with `msg` and the whole console log.
    #[track_caller]
    pub fn fail(&self, msg: impl AsRef<str>) -> ! {
        panic!(
            "[{} kernel] {}{}\n--- console log of boot `{}` (also in target/vm/runs/{}/console.log) ---\n{}",
            self.kernel.name(),
            msg.as_ref(),
            self.problem.as_ref().map(|p| format!("\n(the boot: {p})")).unwrap_or_default(),
            self.name,
            self.name,
            self.console.log
        )
    }

    /// The block `name`, or a failure naming it.
    #[track_caller]
    pub fn block(&self, name: &str) -> &Block {
        match self.console.blocks.get(name) {
            Some(b) => b,
            None => self.fail(format!(
                "no block `{name}` in the console (the guest script did not print it)"
            )),
        }
    }

    /// Block `name` with exit code `rc`, or a failure showing its stdout and stderr.
    #[track_caller]
    pub fn expect_rc(&self, name: &str, rc: i32) -> &Block {
        let b = self.block(name);
        if b.rc != rc {
            self.fail(format!(
                "`{name}` exited {} (expected {rc})\n--- stdout ---\n{}--- stderr ---\n{}",
                b.rc, b.stdout, b.stderr
            ));
        }
        b
    }

    /// The JSON Lines of block `name`'s stdout. Lines not starting with `{` (a kernel message
    /// printed into the console) are skipped; a line starting with `{` that does not parse fails.
    #[track_caller]
    pub fn json(&self, name: &str) -> Vec<serde_json::Value> {
        let b = self.block(name);
        let mut v = Vec::new();
        for line in b.stdout.lines() {
            let t = line.trim();
            if !t.starts_with('{') {
                continue;
            }
            match serde_json::from_str(t) {
                Ok(x) => v.push(x),
                Err(e) => self.fail(format!("`{name}`: a line of stdout is not JSON ({e}): {t}")),
            }
        }
        v
    }

    /// JSON records of block `name` whose "type" is `ty`.
    #[track_caller]
    pub fn records(&self, name: &str, ty: &str) -> Vec<serde_json::Value> {
        self.json(name)
            .into_iter()
            .filter(|r| r["type"] == ty)
            .collect()
    }

    /// Snapshot blocks `<name>.before` and `<name>.after` are identical.
    #[track_caller]
    pub fn assert_tracefs_unchanged(&self, name: &str) {
        let before = &self.block(&format!("{name}.before")).stdout;
        let after = &self.block(&format!("{name}.after")).stdout;
        if before.trim().is_empty() {
            self.fail(format!("snapshot `{name}.before` is empty"));
        }
        let diff = snapshot_diff(before, after);
        if !diff.is_empty() {
            self.fail(format!(
                "tracefs after `{name}` differs from before:\n{diff}"
            ));
        }
    }
}

/// A snapshot cut into its files (`--- name` headers).
fn snapshot_files(s: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut cur = String::new();
    for line in s.lines() {
        if let Some(f) = line.strip_prefix("--- ") {
            cur = f.to_string();
            m.insert(cur.clone(), String::new());
        } else {
            let e = m.entry(cur.clone()).or_default();
            e.push_str(line);
            e.push('\n');
        }
    }
    m
}

/// Whether a file's two values are equal as far as a run is concerned: identical, or the
/// kernel's one-way expansion of the top-level buffer, which nothing in user space can undo:
/// `buffer_size_kb` `7 (expanded: 1408)` becomes the announced size rounded up to whole ring
/// pages (`1410`), and `buffer_total_size_kb` `14 (expanded: 2816)` becomes that per-CPU size
/// times the CPUs (`2820`). `b` and `a` are the whole snapshots, for the per-CPU value.
fn same_value(
    file: &str,
    before: &str,
    after: &str,
    b: &BTreeMap<String, String>,
    a: &BTreeMap<String, String>,
) -> bool {
    use lktrace::tracefs::buffer::BufferSize;
    if before == after {
        return true;
    }
    let per_cpu =
        |m: &BTreeMap<String, String>| m.get("buffer_size_kb").and_then(|v| BufferSize::parse(v));
    let (Some(pb), Some(pa)) = (per_cpu(b), per_cpu(a)) else {
        return false;
    };
    if !pb.expands_into(&pa, RING_PAGE_DATA) {
        return false;
    }
    match file {
        "buffer_size_kb" => true,
        "buffer_total_size_kb" => {
            let (Some(tb), Some(ta)) = (BufferSize::parse(before), BufferSize::parse(after)) else {
                return false;
            };
            match (tb.expands_to, pb.expands_to) {
                (Some(total), Some(one)) if one > 0 && total % one == 0 && ta.is_expanded() => {
                    ta.kb == pa.kb * (total / one)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// A readable per-file diff of two snapshots; empty when they are the same (up to the buffer
/// expansion step, see [`same_value`]).
pub fn snapshot_diff(before: &str, after: &str) -> String {
    let (b, a) = (snapshot_files(before), snapshot_files(after));
    let mut out = String::new();
    let keys: std::collections::BTreeSet<_> = b.keys().chain(a.keys()).collect();
    for k in keys {
        let (x, y) = (b.get(k), a.get(k));
        let same = match (x, y) {
            (Some(x), Some(y)) => same_value(k, x, y, &b, &a),
            (None, None) => true,
            _ => false,
        };
        if !same {
            let _ = writeln!(
                out,
                "{k}:\n  before: {:?}\n  after:  {:?}",
                x.map(|s| s.as_str()).unwrap_or("<absent>"),
                y.map(|s| s.as_str()).unwrap_or("<absent>")
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Sharing one boot between many tests

/// What a shared boot came to.
pub enum Outcome {
    Ran(Box<Run>),
    Failed(String),
}

/// A value computed on a background thread and read by many tests: both kernels boot at once
/// (2 cores) while the tests that need them wait.
pub struct Pending<T> {
    cell: OnceLock<T>,
    handle: Mutex<Option<JoinHandle<T>>>,
}

impl<T: Send + 'static> Pending<T> {
    pub fn spawn(f: impl FnOnce() -> T + Send + 'static) -> Self {
        Pending {
            cell: OnceLock::new(),
            handle: Mutex::new(Some(std::thread::spawn(f))),
        }
    }

    pub fn get(&self) -> &T {
        if let Some(v) = self.cell.get() {
            return v;
        }
        let mut h = self.handle.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(j) = h.take() {
            match j.join() {
                Ok(v) => {
                    let _ = self.cell.set(v);
                }
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        drop(h);
        self.cell
            .get()
            .expect("the background computation panicked in another test")
    }
}

/// The guest kernel's own crash report in a console log (an oops or a panic), if the guest
/// script died of one before its end.
pub fn guest_kernel_crash(c: &Console) -> Option<String> {
    if c.done {
        return None;
    }
    // The earliest of the kernel's crash headers: an oops comes before the panic it causes.
    let at = ["Oops:", "Kernel panic", "BUG:"]
        .iter()
        .filter_map(|m| c.log.find(m))
        .min()?;
    let line_start = c.log[..at].rfind('\n').map_or(0, |i| i + 1);
    let start = c.log[..at]
        .rfind("------------[ cut here")
        .unwrap_or(line_start);
    Some(
        c.log[start..]
            .lines()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// Boots `vm` on a background thread. A missing kernel fails the test with what to do: a
/// test that cannot run must not read as a pass (select one kernel with a name filter instead).
///
/// A guest whose kernel crashed by itself (seen once on Debian 13's 6.12 under TCG: an `int3`
/// oops in `__schedule` while the harness's raw-shell kprobe step ran, docs/kernel-notes.md) is
/// booted again, up to twice. Each crash is printed and its console kept as
/// `console.crashedN.log`; a third crash fails every test of that kernel with it.
pub fn spawn_boot(make: impl Fn() -> Vm + Send + 'static) -> Pending<Outcome> {
    Pending::spawn(move || {
        let vm = make();
        if let Err(why) = vm.kernel.image() {
            return Outcome::Failed(format!(
                "{why}\n(to run one kernel's tests only, filter by its name: `cargo test --release -- --include-ignored debian` or `... profiler`)"
            ));
        }
        let k = vm.kernel;
        let name = vm.name.clone();
        let attempt = |vm: Vm| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| vm.boot()));
        let mut r = attempt(vm);
        // Up to two more boots: 6.12's int3 oops under TCG (docs/kernel-notes.md) came twice in
        // a row in one run of the whole suite on a loaded machine.
        for again in 1..=2 {
            let Ok(Ok(run)) = &r else { break };
            let Some(oops) = guest_kernel_crash(&run.console) else {
                break;
            };
            let kept = vm_dir()
                .join("runs")
                .join(format!("{name}.console.crashed{again}.log"));
            let _ = std::fs::write(&kept, &run.console.log);
            eprintln!(
                "vm: the {} kernel crashed inside the guest (console kept in {}); booting it again:\n{oops}",
                k.name(),
                kept.display()
            );
            r = attempt(make());
        }
        match r {
            Ok(Ok(run)) => {
                eprintln!("vm: {}", run.timings.describe(k));
                if let Some(p) = &run.problem {
                    eprintln!("vm: {} boot: {p}", k.name());
                }
                Outcome::Ran(Box::new(run))
            }
            Ok(Err(e)) => Outcome::Failed(e),
            Err(p) => Outcome::Failed(
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "boot panicked".into()),
            ),
        }
    })
}

impl Outcome {
    /// The run; panics (failing the test) when the boot failed or could not happen.
    #[track_caller]
    pub fn run(&self) -> &Run {
        match self {
            Outcome::Ran(r) => r,
            Outcome::Failed(e) => panic!("{e}"),
        }
    }
}
