complete -c funclatency -s p -d 'Only this process (its threads now)' -r
complete -c funclatency -s i -d 'Print a histogram every SECS seconds' -r
complete -c funclatency -s d -d 'Trace for SECS seconds, then print' -r
complete -c funclatency -l max-probes -d 'Most kprobes the run may create (two per matched function)' -r
complete -c funclatency -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c funclatency -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c funclatency -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c funclatency -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c funclatency -s T -d 'Print the time of day above each histogram'
complete -c funclatency -s u -d 'Microseconds (default: nanoseconds)'
complete -c funclatency -s m -d 'Milliseconds (default: nanoseconds)'
complete -c funclatency -s F -d 'One histogram per function'
complete -c funclatency -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c funclatency -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c funclatency -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c funclatency -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c funclatency -s h -l help -d 'Print help (see more with \'--help\')'
complete -c funclatency -s V -l version -d 'Print version'
