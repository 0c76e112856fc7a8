# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_lktrace_global_optspecs
    string join \n json format= q/quiet live h/help V/version
end

function __fish_lktrace_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_lktrace_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_lktrace_using_subcommand
    set -l cmd (__fish_lktrace_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c lktrace -n "__fish_lktrace_needs_command" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_needs_command" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_needs_command" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_needs_command" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_needs_command" -s V -l version -d 'Print version'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "funccount" -d 'Count kernel function calls (perf-tools funccount)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "kprobe" -d 'Trace a kernel function with a kprobe (perf-tools kprobe)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "tpoint" -d 'Trace a tracepoint\'s events (perf-tools tpoint)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "list" -d 'List traceable kernel functions, tracepoints and kprobe-able symbols'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "uprobe" -d 'Trace a user-space function with a uprobe (perf-tools uprobe)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "stackcount" -d 'Count the kernel stacks that call a function (bcc stackcount)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "funclatency" -d 'Time kernel functions: a latency histogram (bcc funclatency)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "functrace" -d 'Trace kernel function calls (perf-tools functrace)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "syscount" -d 'Count system calls, in the kernel (perf-tools syscount)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "funcgraph" -d 'Trace kernel function graphs, showing child function calls (perf-tools funcgraph)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "funcslower" -d 'Trace kernel functions slower than a threshold in microseconds (perf-tools funcslower)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "ctl" -d 'Inspect and clean tracefs'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "parse" -d 'Parse saved ftrace text (trace or trace_pipe format) into records'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "agent" -d 'Serve --remote clients: tools run here for holders of the key (UDP, port 34023)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "completions" -d 'Print a shell\'s completion script (bash, zsh, fish, ...)'
complete -c lktrace -n "__fish_lktrace_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s i -d 'Print a table every SECS seconds' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s d -d 'Trace for SECS seconds, then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s t -d 'Show only the top N functions' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l backend -d 'Where to count (default: the best this kernel has)' -r -f -a "profiler\t'The function profiler: per-CPU counters in the kernel (CONFIG_FUNCTION_PROFILER)'
kprobe-profile\t'One kprobe per function, hits read from kprobe_profile; nothing streamed'
hist\t'One multi-probe kprobe event on every function and a hist trigger keyed on the probed function; nothing streamed. Needs CONFIG_HIST_TRIGGERS and Linux 5.7+ (multi-probe events). Chosen only with --backend: it costs what kprobe_profile costs'
function-trace\t'The function tracer in a private instance; trace_pipe lines counted here'"
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l max-probes -d 'Most kprobes the kprobe-profile backend may create' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s p -d 'Only this process (its threads now), counted by the hist backend' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s T -d 'Print a timestamp with each table (-T)'
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s P -d 'A count per process as well (COMM-PID FUNC)'
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s r -d 'The pattern is a regular expression over function names'
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand funccount" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s p -d 'Trace every thread of this process' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s L -d 'Trace this thread only' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l reader -d 'How to read events: the binary ring buffer (raw, where the kernel allows and its text can be reproduced), the kernel\'s text (text), or the default (auto: text for now)' -r -f -a "auto\t'The kernel\'s text for now: raw was not measured faster, and it reads /proc/kallsyms first'
raw\t'The binary ring buffer (per_cpu/cpuN/trace_pipe_raw), or an error where it cannot be used'
text\t'The kernel\'s text (trace_pipe)'"
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l hist -d 'Print a log2 histogram of this field of the probe (e.g. a size argument, or $retval fetched as ret=$retval), counted in the kernel, instead of each event' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l count -d 'Print how often each value of this field occurred, counted in the kernel, instead of each event' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s F -d 'Skip the available_filter_functions check'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s H -d 'Print column headers'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s s -d 'Print a kernel stack trace after each event'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s v -d 'Print the event\'s format and exit'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand kprobe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s p -d 'Trace every thread of this process' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s L -d 'Trace this thread only' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s l -d 'List tracepoints (all, or those matching the glob given in place of TRACEPOINT)'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s H -d 'Print column headers'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s s -d 'Print a kernel stack trace after each event'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s v -d 'Print the tracepoint\'s format and exit'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand tpoint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -s u -l user -d 'A user-space file\'s functions (uprobe): a path, a program in PATH, a library (libc)' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -s f -l functions -d 'Functions the function tracer can trace (funccount, functrace, funcgraph)'
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -s t -l tracepoints -d 'Tracepoints (tpoint)'
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -s k -l kprobes -d 'Kernel symbols a kprobe can be put on (kprobe)'
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s l -d 'List the functions of TARGET (a program, a library or a path) where uprobes can go' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s p -d 'Trace every thread of this process' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s L -d 'Trace this thread only' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s F -d 'Force: take a file of another architecture, an address outside code'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s H -d 'Print column headers'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s s -d 'Print a user stack trace after each event'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s v -d 'Print the event\'s format and exit'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand uprobe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -s p -d 'Only the threads of this process' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -s L -d 'Only this thread' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -s d -d 'Trace for SECS seconds, then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l svg -d 'Also write a flame graph of the stacks to FILE (SVG)' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l max-probes -d 'Most kprobes the run may create (one per matched function)' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l folded -d 'Print folded stacks (outermost first, `;`-joined, then the count): flame graph input'
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand stackcount" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s p -d 'Only this process (its threads now)' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s i -d 'Print a histogram every SECS seconds' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s d -d 'Trace for SECS seconds, then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -l max-probes -d 'Most kprobes the run may create (two per matched function)' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s T -d 'Print the time of day above each histogram'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s u -d 'Microseconds (default: nanoseconds)'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s m -d 'Milliseconds (default: nanoseconds)'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s F -d 'One histogram per function'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand funclatency" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -s p -d 'Trace the threads of this process' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -s L -d 'Trace this thread only' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -s H -d 'Print column headers'
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand functrace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -s p -d 'Trace this PID only (its threads and children too)' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -s d -d 'Duration of the trace, in seconds' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -s t -d 'Show the top NUM rows only' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -s c -d 'Show counts by syscall name'
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -s v -d 'Verbose: show the PID'
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand syscount" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s m -d 'Max stack depth to show' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s p -d 'Trace when this pid is on-CPU' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s L -d 'Trace when this thread is on-CPU' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l min-us -d 'Show only calls that took at least US microseconds (tracing_thresh)' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s a -d 'All info (same as -HPt)'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s C -d 'Measure on-CPU time only'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s D -d 'Do not show function duration'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s H -d 'Include column headers'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s P -d 'Show process names & PIDs'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s t -d 'Show timestamps'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s T -d 'Comment function tails'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l no-irqs -d 'Leave out interrupts taken during a traced call (funcgraph-irqs off)'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcgraph" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s p -d 'Trace when this pid is on-CPU' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s L -d 'Trace when this thread is on-CPU' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s a -d 'All info (same as -HPt)'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s C -d 'Measure on-CPU time only'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s H -d 'Include column headers'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s P -d 'Show process names & PIDs'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s t -d 'Show timestamps'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand funcslower" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -f -a "status" -d 'Tracers, enabled events, dynamic events and instances, and who owns them'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -f -a "check" -d 'Which tools and backends this kernel can run, and why not'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -f -a "reset" -d 'Remove what dead lktrace runs left behind'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -f -a "ping" -d 'Round-trip time, version and kernel of agents (needs --remote)'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -f -a "keygen" -d 'Write a new random key for agent and clients (mode 0600; never overwrites)'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and not __fish_seen_subcommand_from status check reset ping keygen help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -l all -d 'Reset all of ftrace, like perf-tools\' reset-ftrace'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from ping" -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from ping" -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from ping" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from ping" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from ping" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from ping" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from ping" -s h -l help -d 'Print help'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from keygen" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from keygen" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from keygen" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from keygen" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from keygen" -s h -l help -d 'Print help'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from help" -f -a "status" -d 'Tracers, enabled events, dynamic events and instances, and who owns them'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from help" -f -a "check" -d 'Which tools and backends this kernel can run, and why not'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Remove what dead lktrace runs left behind'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from help" -f -a "ping" -d 'Round-trip time, version and kernel of agents (needs --remote)'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from help" -f -a "keygen" -d 'Write a new random key for agent and clients (mode 0600; never overwrites)'
complete -c lktrace -n "__fish_lktrace_using_subcommand ctl; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c lktrace -n "__fish_lktrace_using_subcommand parse" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand parse" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand parse" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand parse" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand parse" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l listen -d 'Address to listen on; 127.0.0.1 unless you say otherwise (e.g. 0.0.0.0:34023, [::]:34023)' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l key-file -d 'The pre-shared key (from `lktrace ctl keygen`); must not be readable by group or others' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l max-runs -d 'Most runs at once, over all clients' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l lease-secs -d 'Seconds without a heartbeat after which a client\'s run is stopped and cleaned up' -r
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l config -d 'Settings file (default: /etc/lktrace/agent.toml when it exists); flags given here win' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand agent" -s h -l help -d 'Print help'
complete -c lktrace -n "__fish_lktrace_using_subcommand completions" -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c lktrace -n "__fish_lktrace_using_subcommand completions" -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c lktrace -n "__fish_lktrace_using_subcommand completions" -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c lktrace -n "__fish_lktrace_using_subcommand completions" -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c lktrace -n "__fish_lktrace_using_subcommand completions" -s h -l help -d 'Print help'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "funccount" -d 'Count kernel function calls (perf-tools funccount)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "kprobe" -d 'Trace a kernel function with a kprobe (perf-tools kprobe)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "tpoint" -d 'Trace a tracepoint\'s events (perf-tools tpoint)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "list" -d 'List traceable kernel functions, tracepoints and kprobe-able symbols'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "uprobe" -d 'Trace a user-space function with a uprobe (perf-tools uprobe)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "stackcount" -d 'Count the kernel stacks that call a function (bcc stackcount)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "funclatency" -d 'Time kernel functions: a latency histogram (bcc funclatency)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "functrace" -d 'Trace kernel function calls (perf-tools functrace)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "syscount" -d 'Count system calls, in the kernel (perf-tools syscount)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "funcgraph" -d 'Trace kernel function graphs, showing child function calls (perf-tools funcgraph)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "funcslower" -d 'Trace kernel functions slower than a threshold in microseconds (perf-tools funcslower)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "ctl" -d 'Inspect and clean tracefs'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "parse" -d 'Parse saved ftrace text (trace or trace_pipe format) into records'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "agent" -d 'Serve --remote clients: tools run here for holders of the key (UDP, port 34023)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "completions" -d 'Print a shell\'s completion script (bash, zsh, fish, ...)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and not __fish_seen_subcommand_from funccount kprobe tpoint list uprobe stackcount funclatency functrace syscount funcgraph funcslower ctl parse agent completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and __fish_seen_subcommand_from ctl" -f -a "status" -d 'Tracers, enabled events, dynamic events and instances, and who owns them'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and __fish_seen_subcommand_from ctl" -f -a "check" -d 'Which tools and backends this kernel can run, and why not'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and __fish_seen_subcommand_from ctl" -f -a "reset" -d 'Remove what dead lktrace runs left behind'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and __fish_seen_subcommand_from ctl" -f -a "ping" -d 'Round-trip time, version and kernel of agents (needs --remote)'
complete -c lktrace -n "__fish_lktrace_using_subcommand help; and __fish_seen_subcommand_from ctl" -f -a "keygen" -d 'Write a new random key for agent and clients (mode 0600; never overwrites)'
