complete -c funcgraph -s m -d 'Go at most DEPTH calls deep' -r
complete -c funcgraph -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c funcgraph -s p -d 'Trace when this process\'s threads are on-CPU' -r
complete -c funcgraph -s L -d 'Trace when this thread is on-CPU' -r
complete -c funcgraph -l min-us -d 'Show only calls that took at least US microseconds (their returns only: tracing_thresh)' -r
complete -c funcgraph -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c funcgraph -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c funcgraph -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c funcgraph -s a -d 'All info (same as -HPt)'
complete -c funcgraph -s C -d 'Measure on-CPU time only (time asleep is not counted in durations)'
complete -c funcgraph -s D -d 'Do not show function durations'
complete -c funcgraph -s H -d 'Print column headers'
complete -c funcgraph -s P -d 'Show process names and pids'
complete -c funcgraph -s t -d 'Show timestamps'
complete -c funcgraph -s T -d 'Name the function at each close (comment function tails)'
complete -c funcgraph -l no-irqs -d 'Leave out interrupts that arrive during a call'
complete -c funcgraph -l json -d 'Print JSON Lines (one object per line, each with a "type")'
complete -c funcgraph -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c funcgraph -s h -l help -d 'Print help'
