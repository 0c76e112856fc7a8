complete -c funcgraph -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c funcgraph -s m -d 'Max stack depth to show' -r
complete -c funcgraph -s p -d 'Trace when this pid is on-CPU' -r
complete -c funcgraph -s L -d 'Trace when this thread is on-CPU' -r
complete -c funcgraph -l min-us -d 'Show only calls that took at least US microseconds (tracing_thresh)' -r
complete -c funcgraph -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c funcgraph -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c funcgraph -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c funcgraph -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c funcgraph -s a -d 'All info (same as -HPt)'
complete -c funcgraph -s C -d 'Measure on-CPU time only'
complete -c funcgraph -s D -d 'Do not show function duration'
complete -c funcgraph -s H -d 'Include column headers'
complete -c funcgraph -s P -d 'Show process names & PIDs'
complete -c funcgraph -s t -d 'Show timestamps'
complete -c funcgraph -s T -d 'Comment function tails'
complete -c funcgraph -l no-irqs -d 'Leave out interrupts taken during a traced call (funcgraph-irqs off)'
complete -c funcgraph -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c funcgraph -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c funcgraph -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c funcgraph -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c funcgraph -s h -l help -d 'Print help (see more with \'--help\')'
complete -c funcgraph -s V -l version -d 'Print version'
