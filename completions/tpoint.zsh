#compdef tpoint

autoload -U is-at-least

_tpoint() {
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
'-V[Print version]' \
'--version[Print version]' \
'::tracepoint -- SYSTEM\:EVENT, e.g. sched\:sched_process_exec (with -l\: a glob, e.g. '\''sched\:*'\''):_default' \
'::filter -- Event filter, e.g. '\''filename ~ "*bash*"'\'':_default' \
&& ret=0
}

(( $+functions[_tpoint_commands] )) ||
_tpoint_commands() {
    local commands; commands=()
    _describe -t commands 'tpoint commands' commands "$@"
}

if [ "$funcstack[1]" = "_tpoint" ]; then
    _tpoint "$@"
else
    compdef _tpoint tpoint
fi
