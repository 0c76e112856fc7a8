#compdef funclatency

autoload -U is-at-least

_funclatency() {
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
'-V[Print version]' \
'--version[Print version]' \
':pattern -- Function glob (vfs_read, vfs_*, do_nanosleep):_default' \
&& ret=0
}

(( $+functions[_funclatency_commands] )) ||
_funclatency_commands() {
    local commands; commands=()
    _describe -t commands 'funclatency commands' commands "$@"
}

if [ "$funcstack[1]" = "_funclatency" ]; then
    _funclatency "$@"
else
    compdef _funclatency funclatency
fi
