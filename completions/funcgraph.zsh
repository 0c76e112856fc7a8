#compdef funcgraph

autoload -U is-at-least

_funcgraph() {
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
'-V[Print version]' \
'--version[Print version]' \
':funcstring -- Function glob\: do_nanosleep, '\''vfs_rea*'\'':_default' \
&& ret=0
}

(( $+functions[_funcgraph_commands] )) ||
_funcgraph_commands() {
    local commands; commands=()
    _describe -t commands 'funcgraph commands' commands "$@"
}

if [ "$funcstack[1]" = "_funcgraph" ]; then
    _funcgraph "$@"
else
    compdef _funcgraph funcgraph
fi
