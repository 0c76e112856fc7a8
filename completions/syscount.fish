complete -c syscount -s p -d 'Trace this PID only (its threads and children too)' -r
complete -c syscount -s d -d 'Duration of the trace, in seconds' -r
complete -c syscount -s t -d 'Show the top NUM rows only' -r
complete -c syscount -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c syscount -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c syscount -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c syscount -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c syscount -s c -d 'Show counts by syscall name'
complete -c syscount -s v -d 'Verbose: show the PID'
complete -c syscount -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c syscount -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c syscount -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c syscount -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c syscount -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syscount -s V -l version -d 'Print version'
