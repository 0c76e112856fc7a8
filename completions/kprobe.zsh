#compdef kprobe

autoload -U is-at-least

_kprobe() {
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
'-V[Print version]' \
'--version[Print version]' \
'*::definitions -- One or more probe definitions, p\:\[NAME\] FUNC \[ARGS\] or r\:\[NAME\] FUNC \[ARGS\] (e.g. '\''p\:myopen do_sys_openat2 filename=+0(arg2)\:string'\''; arg1..argN are the function'\''s arguments on any architecture), then optionally an event filter set on every event (e.g. '\''filename ~ "*.conf"'\''):_default' \
&& ret=0
}

(( $+functions[_kprobe_commands] )) ||
_kprobe_commands() {
    local commands; commands=()
    _describe -t commands 'kprobe commands' commands "$@"
}

if [ "$funcstack[1]" = "_kprobe" ]; then
    _kprobe "$@"
else
    compdef _kprobe kprobe
fi
