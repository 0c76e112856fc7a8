#compdef lktrace

autoload -U is-at-least

_lktrace() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_lktrace_commands" \
"*::: :->lktrace" \
&& ret=0
    case $state in
    (lktrace)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:lktrace-command-$line[1]:"
        case $line[1] in
            (funccount)
_arguments "${_arguments_options[@]}" : \
'-i+[Print a table every SECS seconds]:SECS:_default' \
'-d+[Trace for SECS seconds, then print]:SECS:_default' \
'-t+[Show only the top N functions]:N:_default' \
'--backend=[Where to count (default\: the best this kernel has)]:BACKEND:((profiler\:"The function profiler\: per-CPU counters in the kernel (CONFIG_FUNCTION_PROFILER)"
kprobe-profile\:"One kprobe per function, hits read from kprobe_profile; nothing streamed"
hist\:"One multi-probe kprobe event on every function and a hist trigger keyed on the probed function; nothing streamed. Needs CONFIG_HIST_TRIGGERS and Linux 5.7+ (multi-probe events). Chosen only with --backend\: it costs what kprobe_profile costs"
function-trace\:"The function tracer in a private instance; trace_pipe lines counted here"))' \
'--max-probes=[Most kprobes the kprobe-profile backend may create]:N:_default' \
'-p+[Only this process (its threads now), counted by the hist backend]:PID:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-T[Print a timestamp with each table (-T)]' \
'-P[A count per process as well (COMM-PID FUNC)]' \
'-r[The pattern is a regular expression over function names]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':pattern -- vfs_*, p\:tcp_*send*, t\:sched\:sched_*, or with -r '\''^vfs_(read|write)$'\'':_default' \
&& ret=0
;;
(kprobe)
_arguments "${_arguments_options[@]}" : \
'-d+[Trace for SECS seconds (buffered), then print]:SECS:_default' \
'(-L)-p+[Trace every thread of this process]:PID:_default' \
'-L+[Trace this thread only]:TID:_default' \
'--reader=[How to read events\: the binary ring buffer (raw, where the kernel allows and its text can be reproduced), the kernel'\''s text (text), or the default (auto\: text for now)]:READER:((auto\:"The kernel'\''s text for now\: raw was not measured faster, and it reads /proc/kallsyms first"
raw\:"The binary ring buffer (per_cpu/cpuN/trace_pipe_raw), or an error where it cannot be used"
text\:"The kernel'\''s text (trace_pipe)"))' \
'(--count -s -v)--hist=[Print a log2 histogram of this field of the probe (e.g. a size argument, or \$retval fetched as ret=\$retval), counted in the kernel, instead of each event]:FIELD:_default' \
'(-s -v)--count=[Print how often each value of this field occurred, counted in the kernel, instead of each event]:FIELD:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-F[Skip the available_filter_functions check]' \
'-H[Print column headers]' \
'-s[Print a kernel stack trace after each event]' \
'-v[Print the event'\''s format and exit]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::definitions -- One or more probe definitions, p\:\[NAME\] FUNC \[ARGS\] or r\:\[NAME\] FUNC \[ARGS\] (e.g. '\''p\:myopen do_sys_openat2 filename=+0(arg2)\:string'\''; arg1..argN are the function'\''s arguments on any architecture), then optionally an event filter set on every event (e.g. '\''filename ~ "*.conf"'\''):_default' \
&& ret=0
;;
(tpoint)
_arguments "${_arguments_options[@]}" : \
'-d+[Trace for SECS seconds (buffered), then print]:SECS:_default' \
'(-L)-p+[Trace every thread of this process]:PID:_default' \
'-L+[Trace this thread only]:TID:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-l[List tracepoints (all, or those matching the glob given in place of TRACEPOINT)]' \
'-H[Print column headers]' \
'-s[Print a kernel stack trace after each event]' \
'-v[Print the tracepoint'\''s format and exit]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::tracepoint -- SYSTEM\:EVENT, e.g. sched\:sched_process_exec (with -l\: a glob, e.g. '\''sched\:*'\''):_default' \
'::filter -- Event filter, e.g. '\''filename ~ "*bash*"'\'':_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'(-f --functions -t --tracepoints -k --kprobes)-u+[A user-space file'\''s functions (uprobe)\: a path, a program in PATH, a library (libc)]:FILE:_default' \
'(-f --functions -t --tracepoints -k --kprobes)--user=[A user-space file'\''s functions (uprobe)\: a path, a program in PATH, a library (libc)]:FILE:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-f[Functions the function tracer can trace (funccount, functrace, funcgraph)]' \
'--functions[Functions the function tracer can trace (funccount, functrace, funcgraph)]' \
'-t[Tracepoints (tpoint)]' \
'--tracepoints[Tracepoints (tpoint)]' \
'-k[Kernel symbols a kprobe can be put on (kprobe)]' \
'--kprobes[Kernel symbols a kprobe can be put on (kprobe)]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::pattern -- Glob over names\: '\''vfs_*'\'', '\''sched\:*'\'', '\''*_open*'\'':_default' \
&& ret=0
;;
(uprobe)
_arguments "${_arguments_options[@]}" : \
'()-l+[List the functions of TARGET (a program, a library or a path) where uprobes can go]:TARGET:_default' \
'-d+[Trace for SECS seconds (buffered), then print]:SECS:_default' \
'(-L)-p+[Trace every thread of this process]:PID:_default' \
'-L+[Trace this thread only]:TID:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-F[Force\: take a file of another architecture, an address outside code]' \
'-H[Print column headers]' \
'-s[Print a user stack trace after each event]' \
'(-d)-v[Print the event'\''s format and exit]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::definition -- {p|r}\[\:NAME\] FILE\:FUNCTION\[+OFFS\] \[ARGS\], FILE\:0xADDR in place of the function, or {p|r}\:FILE\:FUNCTION \[ARGS\] (e.g. p\:bash\:readline, '\''r\:bash\:readline +0($retval)\:string'\'', '\''p\:libc\:malloc size=arg1'\''; arg1..argN are the function'\''s arguments on any architecture):_default' \
'::filter -- Event filter, e.g. '\''size > 1024'\'':_default' \
&& ret=0
;;
(stackcount)
_arguments "${_arguments_options[@]}" : \
'(-L)-p+[Only the threads of this process]:PID:_default' \
'-L+[Only this thread]:TID:_default' \
'-d+[Trace for SECS seconds, then print]:SECS:_default' \
'--svg=[Also write a flame graph of the stacks to FILE (SVG)]:FILE:_default' \
'--max-probes=[Most kprobes the run may create (one per matched function)]:N:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--folded[Print folded stacks (outermost first, \`;\`-joined, then the count)\: flame graph input]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':target -- Function glob (vfs_read, vfs_*, tcp_*send*), or t\:SYSTEM\:EVENT for a tracepoint (t\:sched\:sched_process_exec):_default' \
&& ret=0
;;
(funclatency)
_arguments "${_arguments_options[@]}" : \
'-p+[Only this process (its threads now)]:PID:_default' \
'-i+[Print a histogram every SECS seconds]:SECS:_default' \
'-d+[Trace for SECS seconds, then print]:SECS:_default' \
'--max-probes=[Most kprobes the run may create (two per matched function)]:N:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-T[Print the time of day above each histogram]' \
'(-m)-u[Microseconds (default\: nanoseconds)]' \
'-m[Milliseconds (default\: nanoseconds)]' \
'-F[One histogram per function]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':pattern -- Function glob (vfs_read, vfs_*, do_nanosleep):_default' \
&& ret=0
;;
(functrace)
_arguments "${_arguments_options[@]}" : \
'-d+[Trace for SECS seconds (buffered), then print]:SECS:_default' \
'(-L)-p+[Trace the threads of this process]:PID:_default' \
'-L+[Trace this thread only]:TID:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-H[Print column headers]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':funcstring -- Function glob\: do_nanosleep, '\''*sleep'\'', '\''vfs_*'\'':_default' \
&& ret=0
;;
(syscount)
_arguments "${_arguments_options[@]}" : \
'-p+[Trace this PID only (its threads and children too)]:PID:_default' \
'-d+[Duration of the trace, in seconds]:SECS:_default' \
'-t+[Show the top NUM rows only]:NUM:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-c[Show counts by syscall name]' \
'-v[Verbose\: show the PID]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::command -- Run this command and count its system calls (and its children'\''s):_default' \
&& ret=0
;;
(funcgraph)
_arguments "${_arguments_options[@]}" : \
'-d+[Trace for SECS seconds (buffered), then print]:SECS:_default' \
'-m+[Max stack depth to show]:MAXDEPTH:_default' \
'(-L)-p+[Trace when this pid is on-CPU]:PID:_default' \
'-L+[Trace when this thread is on-CPU]:TID:_default' \
'--min-us=[Show only calls that took at least US microseconds (tracing_thresh)]:US:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-a[All info (same as -HPt)]' \
'-C[Measure on-CPU time only]' \
'-D[Do not show function duration]' \
'-H[Include column headers]' \
'-P[Show process names & PIDs]' \
'-t[Show timestamps]' \
'-T[Comment function tails]' \
'--no-irqs[Leave out interrupts taken during a traced call (funcgraph-irqs off)]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':funcstring -- Function glob\: do_nanosleep, '\''vfs_rea*'\'':_default' \
&& ret=0
;;
(funcslower)
_arguments "${_arguments_options[@]}" : \
'-d+[Trace for SECS seconds (buffered), then print]:SECS:_default' \
'(-L)-p+[Trace when this pid is on-CPU]:PID:_default' \
'-L+[Trace when this thread is on-CPU]:TID:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'-a[All info (same as -HPt)]' \
'-C[Measure on-CPU time only]' \
'-H[Include column headers]' \
'-P[Show process names & PIDs]' \
'-t[Show timestamps]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
':funcstring -- Function glob\: vfs_read, '\''ext4_*'\'':_default' \
':latency_us -- Minimum duration to show, microseconds (filtered in the kernel):_default' \
&& ret=0
;;
(ctl)
_arguments "${_arguments_options[@]}" : \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
":: :_lktrace__subcmd__ctl_commands" \
"*::: :->ctl" \
&& ret=0

    case $state in
    (ctl)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:lktrace-ctl-command-$line[1]:"
        case $line[1] in
            (status)
_arguments "${_arguments_options[@]}" : \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(reset)
_arguments "${_arguments_options[@]}" : \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--all[Reset all of ftrace, like perf-tools'\'' reset-ftrace]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(ping)
_arguments "${_arguments_options[@]}" : \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(keygen)
_arguments "${_arguments_options[@]}" : \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help]' \
'--help[Print help]' \
':path -- Where to write it:_files' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_lktrace__subcmd__ctl__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:lktrace-ctl-help-command-$line[1]:"
        case $line[1] in
            (status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reset)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(ping)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(keygen)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(parse)
_arguments "${_arguments_options[@]}" : \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'::file -- A saved `trace` or `trace_pipe` text file; standard input when omitted or `-`:_files' \
&& ret=0
;;
(agent)
_arguments "${_arguments_options[@]}" : \
'--listen=[Address to listen on; 127.0.0.1 unless you say otherwise (e.g. 0.0.0.0\:34023, \[\:\:\]\:34023)]:ADDR[:PORT]:_default' \
'--key-file=[The pre-shared key (from \`lktrace ctl keygen\`); must not be readable by group or others]:PATH:_files' \
'--max-runs=[Most runs at once, over all clients]:N:_default' \
'--lease-secs=[Seconds without a heartbeat after which a client'\''s run is stopped and cleaned up]:SECS:_default' \
'--config=[Settings file (default\: /etc/lktrace/agent.toml when it exists); flags given here win]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--format=[How to print\: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome\://tracing)]:FORMAT:(text json openmetrics chrome)' \
'--json[Print JSON Lines (one object per line, each with a "type"); the same as --format json]' \
'-q[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--quiet[Show no progress line (setup, teardown, time left of -d); it shows only on a terminal]' \
'--live[A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it]' \
'-h[Print help]' \
'--help[Print help]' \
':shell -- The shell:(bash elvish fish powershell zsh)' \
'::binary -- The binary to complete\: lktrace, or a standalone tool (funccount, kprobe, ...):_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_lktrace__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:lktrace-help-command-$line[1]:"
        case $line[1] in
            (funccount)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(kprobe)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(tpoint)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(uprobe)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(stackcount)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(funclatency)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(functrace)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(syscount)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(funcgraph)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(funcslower)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(ctl)
_arguments "${_arguments_options[@]}" : \
":: :_lktrace__subcmd__help__subcmd__ctl_commands" \
"*::: :->ctl" \
&& ret=0

    case $state in
    (ctl)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:lktrace-help-ctl-command-$line[1]:"
        case $line[1] in
            (status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(check)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reset)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(ping)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(keygen)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(parse)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(agent)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_lktrace_commands] )) ||
_lktrace_commands() {
    local commands; commands=(
'funccount:Count kernel function calls (perf-tools funccount)' \
'kprobe:Trace a kernel function with a kprobe (perf-tools kprobe)' \
'tpoint:Trace a tracepoint'\''s events (perf-tools tpoint)' \
'list:List traceable kernel functions, tracepoints and kprobe-able symbols' \
'uprobe:Trace a user-space function with a uprobe (perf-tools uprobe)' \
'stackcount:Count the kernel stacks that call a function (bcc stackcount)' \
'funclatency:Time kernel functions\: a latency histogram (bcc funclatency)' \
'functrace:Trace kernel function calls (perf-tools functrace)' \
'syscount:Count system calls, in the kernel (perf-tools syscount)' \
'funcgraph:Trace kernel function graphs, showing child function calls (perf-tools funcgraph)' \
'funcslower:Trace kernel functions slower than a threshold in microseconds (perf-tools funcslower)' \
'ctl:Inspect and clean tracefs' \
'parse:Parse saved ftrace text (trace or trace_pipe format) into records' \
'agent:Serve --remote clients\: tools run here for holders of the key (UDP, port 34023)' \
'completions:Print a shell'\''s completion script (bash, zsh, fish, ...)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'lktrace commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__agent_commands] )) ||
_lktrace__subcmd__agent_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace agent commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__completions_commands] )) ||
_lktrace__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace completions commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl_commands] )) ||
_lktrace__subcmd__ctl_commands() {
    local commands; commands=(
'status:Tracers, enabled events, dynamic events and instances, and who owns them' \
'check:Which tools and backends this kernel can run, and why not' \
'reset:Remove what dead lktrace runs left behind' \
'ping:Round-trip time, version and kernel of agents (needs --remote)' \
'keygen:Write a new random key for agent and clients (mode 0600; never overwrites)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'lktrace ctl commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__check_commands] )) ||
_lktrace__subcmd__ctl__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl check commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__help_commands] )) ||
_lktrace__subcmd__ctl__subcmd__help_commands() {
    local commands; commands=(
'status:Tracers, enabled events, dynamic events and instances, and who owns them' \
'check:Which tools and backends this kernel can run, and why not' \
'reset:Remove what dead lktrace runs left behind' \
'ping:Round-trip time, version and kernel of agents (needs --remote)' \
'keygen:Write a new random key for agent and clients (mode 0600; never overwrites)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'lktrace ctl help commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__help__subcmd__check_commands] )) ||
_lktrace__subcmd__ctl__subcmd__help__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl help check commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__help__subcmd__help_commands] )) ||
_lktrace__subcmd__ctl__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl help help commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__help__subcmd__keygen_commands] )) ||
_lktrace__subcmd__ctl__subcmd__help__subcmd__keygen_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl help keygen commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__help__subcmd__ping_commands] )) ||
_lktrace__subcmd__ctl__subcmd__help__subcmd__ping_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl help ping commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__help__subcmd__reset_commands] )) ||
_lktrace__subcmd__ctl__subcmd__help__subcmd__reset_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl help reset commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__help__subcmd__status_commands] )) ||
_lktrace__subcmd__ctl__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl help status commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__keygen_commands] )) ||
_lktrace__subcmd__ctl__subcmd__keygen_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl keygen commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__ping_commands] )) ||
_lktrace__subcmd__ctl__subcmd__ping_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl ping commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__reset_commands] )) ||
_lktrace__subcmd__ctl__subcmd__reset_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl reset commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__ctl__subcmd__status_commands] )) ||
_lktrace__subcmd__ctl__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace ctl status commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__funccount_commands] )) ||
_lktrace__subcmd__funccount_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace funccount commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__funcgraph_commands] )) ||
_lktrace__subcmd__funcgraph_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace funcgraph commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__funclatency_commands] )) ||
_lktrace__subcmd__funclatency_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace funclatency commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__funcslower_commands] )) ||
_lktrace__subcmd__funcslower_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace funcslower commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__functrace_commands] )) ||
_lktrace__subcmd__functrace_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace functrace commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help_commands] )) ||
_lktrace__subcmd__help_commands() {
    local commands; commands=(
'funccount:Count kernel function calls (perf-tools funccount)' \
'kprobe:Trace a kernel function with a kprobe (perf-tools kprobe)' \
'tpoint:Trace a tracepoint'\''s events (perf-tools tpoint)' \
'list:List traceable kernel functions, tracepoints and kprobe-able symbols' \
'uprobe:Trace a user-space function with a uprobe (perf-tools uprobe)' \
'stackcount:Count the kernel stacks that call a function (bcc stackcount)' \
'funclatency:Time kernel functions\: a latency histogram (bcc funclatency)' \
'functrace:Trace kernel function calls (perf-tools functrace)' \
'syscount:Count system calls, in the kernel (perf-tools syscount)' \
'funcgraph:Trace kernel function graphs, showing child function calls (perf-tools funcgraph)' \
'funcslower:Trace kernel functions slower than a threshold in microseconds (perf-tools funcslower)' \
'ctl:Inspect and clean tracefs' \
'parse:Parse saved ftrace text (trace or trace_pipe format) into records' \
'agent:Serve --remote clients\: tools run here for holders of the key (UDP, port 34023)' \
'completions:Print a shell'\''s completion script (bash, zsh, fish, ...)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'lktrace help commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__agent_commands] )) ||
_lktrace__subcmd__help__subcmd__agent_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help agent commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__completions_commands] )) ||
_lktrace__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help completions commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__ctl_commands] )) ||
_lktrace__subcmd__help__subcmd__ctl_commands() {
    local commands; commands=(
'status:Tracers, enabled events, dynamic events and instances, and who owns them' \
'check:Which tools and backends this kernel can run, and why not' \
'reset:Remove what dead lktrace runs left behind' \
'ping:Round-trip time, version and kernel of agents (needs --remote)' \
'keygen:Write a new random key for agent and clients (mode 0600; never overwrites)' \
    )
    _describe -t commands 'lktrace help ctl commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__ctl__subcmd__check_commands] )) ||
_lktrace__subcmd__help__subcmd__ctl__subcmd__check_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help ctl check commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__ctl__subcmd__keygen_commands] )) ||
_lktrace__subcmd__help__subcmd__ctl__subcmd__keygen_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help ctl keygen commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__ctl__subcmd__ping_commands] )) ||
_lktrace__subcmd__help__subcmd__ctl__subcmd__ping_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help ctl ping commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__ctl__subcmd__reset_commands] )) ||
_lktrace__subcmd__help__subcmd__ctl__subcmd__reset_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help ctl reset commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__ctl__subcmd__status_commands] )) ||
_lktrace__subcmd__help__subcmd__ctl__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help ctl status commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__funccount_commands] )) ||
_lktrace__subcmd__help__subcmd__funccount_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help funccount commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__funcgraph_commands] )) ||
_lktrace__subcmd__help__subcmd__funcgraph_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help funcgraph commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__funclatency_commands] )) ||
_lktrace__subcmd__help__subcmd__funclatency_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help funclatency commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__funcslower_commands] )) ||
_lktrace__subcmd__help__subcmd__funcslower_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help funcslower commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__functrace_commands] )) ||
_lktrace__subcmd__help__subcmd__functrace_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help functrace commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__help_commands] )) ||
_lktrace__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help help commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__kprobe_commands] )) ||
_lktrace__subcmd__help__subcmd__kprobe_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help kprobe commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__list_commands] )) ||
_lktrace__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help list commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__parse_commands] )) ||
_lktrace__subcmd__help__subcmd__parse_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help parse commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__stackcount_commands] )) ||
_lktrace__subcmd__help__subcmd__stackcount_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help stackcount commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__syscount_commands] )) ||
_lktrace__subcmd__help__subcmd__syscount_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help syscount commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__tpoint_commands] )) ||
_lktrace__subcmd__help__subcmd__tpoint_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help tpoint commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__help__subcmd__uprobe_commands] )) ||
_lktrace__subcmd__help__subcmd__uprobe_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace help uprobe commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__kprobe_commands] )) ||
_lktrace__subcmd__kprobe_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace kprobe commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__list_commands] )) ||
_lktrace__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace list commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__parse_commands] )) ||
_lktrace__subcmd__parse_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace parse commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__stackcount_commands] )) ||
_lktrace__subcmd__stackcount_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace stackcount commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__syscount_commands] )) ||
_lktrace__subcmd__syscount_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace syscount commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__tpoint_commands] )) ||
_lktrace__subcmd__tpoint_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace tpoint commands' commands "$@"
}
(( $+functions[_lktrace__subcmd__uprobe_commands] )) ||
_lktrace__subcmd__uprobe_commands() {
    local commands; commands=()
    _describe -t commands 'lktrace uprobe commands' commands "$@"
}

if [ "$funcstack[1]" = "_lktrace" ]; then
    _lktrace "$@"
else
    compdef _lktrace lktrace
fi
