#compdef funccount

autoload -U is-at-least

_funccount() {
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
'-V[Print version]' \
'--version[Print version]' \
':pattern -- vfs_*, p\:tcp_*send*, t\:sched\:sched_*, or with -r '\''^vfs_(read|write)$'\'':_default' \
&& ret=0
}

(( $+functions[_funccount_commands] )) ||
_funccount_commands() {
    local commands; commands=()
    _describe -t commands 'funccount commands' commands "$@"
}

if [ "$funcstack[1]" = "_funccount" ]; then
    _funccount "$@"
else
    compdef _funccount funccount
fi
