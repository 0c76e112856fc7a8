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
'-m+[Go at most DEPTH calls deep]:DEPTH:_default' \
'-d+[Trace for SECS seconds (buffered), then print]:SECS:_default' \
'(-L)-p+[Trace when this process'\''s threads are on-CPU]:PID:_default' \
'-L+[Trace when this thread is on-CPU]:TID:_default' \
'--min-us=[Show only calls that took at least US microseconds (their returns only\: tracing_thresh)]:US:_default' \
'--remote=[Run on these agents instead of here\: config names or HOST\[\:PORT\], comma-separated]:HOST[:PORT],...:_default' \
'--key-file=[The key shared with the agent(s) (default\: the config'\''s key_file, then ~/.config/lktrace/key)]:PATH:_files' \
'--tracefs=[Use this tracefs directory instead of finding it]:DIR:_files' \
'-a[All info (same as -HPt)]' \
'-C[Measure on-CPU time only (time asleep is not counted in durations)]' \
'-D[Do not show function durations]' \
'-H[Print column headers]' \
'-P[Show process names and pids]' \
'-t[Show timestamps]' \
'-T[Name the function at each close (comment function tails)]' \
'--no-irqs[Leave out interrupts that arrive during a call]' \
'--json[Print JSON Lines (one object per line, each with a "type")]' \
'--debug[Print on stderr every tracefs read and write made, with its time, and each phase'\''s time]' \
'-h[Print help]' \
'--help[Print help]' \
':funcstring -- Function glob, the graphs'\'' roots\: do_nanosleep, '\''vfs_rea*'\'':_default' \
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
