complete -c stackcount -s p -d 'Only the threads of this process' -r
complete -c stackcount -s L -d 'Only this thread' -r
complete -c stackcount -s d -d 'Trace for SECS seconds, then print' -r
complete -c stackcount -l svg -d 'Also write a flame graph of the stacks to FILE (SVG)' -r
complete -c stackcount -l max-probes -d 'Most kprobes the run may create (one per matched function)' -r
complete -c stackcount -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c stackcount -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c stackcount -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c stackcount -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c stackcount -l folded -d 'Print folded stacks (outermost first, `;`-joined, then the count): flame graph input'
complete -c stackcount -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c stackcount -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c stackcount -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c stackcount -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c stackcount -s h -l help -d 'Print help (see more with \'--help\')'
complete -c stackcount -s V -l version -d 'Print version'
