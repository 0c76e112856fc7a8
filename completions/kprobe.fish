complete -c kprobe -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c kprobe -s p -d 'Trace every thread of this process' -r
complete -c kprobe -s L -d 'Trace this thread only' -r
complete -c kprobe -l reader -d 'How to read events: the binary ring buffer (raw, where the kernel allows and its text can be reproduced), the kernel\'s text (text), or the default (auto: text for now)' -r -f -a "auto\t'The kernel\'s text for now: raw was not measured faster, and it reads /proc/kallsyms first'
raw\t'The binary ring buffer (per_cpu/cpuN/trace_pipe_raw), or an error where it cannot be used'
text\t'The kernel\'s text (trace_pipe)'"
complete -c kprobe -l hist -d 'Print a log2 histogram of this field of the probe (e.g. a size argument, or $retval fetched as ret=$retval), counted in the kernel, instead of each event' -r
complete -c kprobe -l count -d 'Print how often each value of this field occurred, counted in the kernel, instead of each event' -r
complete -c kprobe -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c kprobe -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c kprobe -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c kprobe -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c kprobe -s F -d 'Skip the available_filter_functions check'
complete -c kprobe -s H -d 'Print column headers'
complete -c kprobe -s s -d 'Print a kernel stack trace after each event'
complete -c kprobe -s v -d 'Print the event\'s format and exit'
complete -c kprobe -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c kprobe -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c kprobe -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c kprobe -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c kprobe -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kprobe -s V -l version -d 'Print version'
