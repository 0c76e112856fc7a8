complete -c tpoint -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c tpoint -s p -d 'Trace every thread of this process' -r
complete -c tpoint -s L -d 'Trace this thread only' -r
complete -c tpoint -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c tpoint -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c tpoint -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c tpoint -l format -d 'How to print: text (tables and perf-tools text), json (JSON Lines), openmetrics (counts, stacks and histograms for Prometheus, one exposition per interval), or chrome (events and calls as a Trace Event Format array, for Perfetto or chrome://tracing)' -r -f -a "text\t''
json\t''
openmetrics\t''
chrome\t''"
complete -c tpoint -s l -d 'List tracepoints (all, or those matching the glob given in place of TRACEPOINT)'
complete -c tpoint -s H -d 'Print column headers'
complete -c tpoint -s s -d 'Print a kernel stack trace after each event'
complete -c tpoint -s v -d 'Print the tracepoint\'s format and exit'
complete -c tpoint -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c tpoint -l json -d 'Print JSON Lines (one object per line, each with a "type"); the same as --format json'
complete -c tpoint -s q -l quiet -d 'Show no progress line (setup, teardown, time left of -d); it shows only on a terminal'
complete -c tpoint -l live -d 'A full-screen table redrawn every -i interval, busiest first, with rates (counting tools, stdout a terminal); q or Ctrl-C ends it'
complete -c tpoint -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tpoint -s V -l version -d 'Print version'
