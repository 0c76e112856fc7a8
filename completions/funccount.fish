complete -c funccount -s i -d 'Print a table every SECS seconds' -r
complete -c funccount -s d -d 'Trace for SECS seconds, then print' -r
complete -c funccount -s t -d 'Show only the top N functions' -r
complete -c funccount -l backend -d 'Where to count (default: the best this kernel has)' -r -f -a "profiler\t'The function profiler: per-CPU counters in the kernel (CONFIG_FUNCTION_PROFILER)'
kprobe-profile\t'One kprobe per function, hits read from kprobe_profile; nothing streamed'
hist\t'One multi-probe kprobe event on every function and a hist trigger keyed on the probed function; nothing streamed. Needs CONFIG_HIST_TRIGGERS and Linux 5.7+ (multi-probe events). Chosen only with --backend: it costs what kprobe_profile costs'
function-trace\t'The function tracer in a private instance; trace_pipe lines counted here'"
complete -c funccount -l max-probes -d 'Most kprobes the kprobe-profile backend may create' -r
complete -c funccount -s p -d 'Only this process (its threads now), counted by the hist backend' -r
complete -c funccount -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c funccount -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c funccount -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c funccount -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c funccount -s T -d 'Print a timestamp with each table (-T)'
complete -c funccount -s P -d 'A count per process as well (COMM-PID FUNC)'
complete -c funccount -s r -d 'The pattern is a regular expression over function names'
complete -c funccount -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c funccount -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c funccount -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c funccount -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c funccount -s h -l help -d 'Print help (see more with \'--help\')'
complete -c funccount -s V -l version -d 'Print version'
