complete -c funcslower -s d -d 'Trace for SECS seconds (buffered), then print' -r
complete -c funcslower -s p -d 'Trace when this process\'s threads are on-CPU' -r
complete -c funcslower -s L -d 'Trace when this thread is on-CPU' -r
complete -c funcslower -l remote -d 'Run on these agents instead of here: config names or HOST[:PORT], comma-separated' -r
complete -c funcslower -l key-file -d 'The key shared with the agent(s) (default: the config\'s key_file, then ~/.config/lktrace/key)' -r -F
complete -c funcslower -l tracefs -d 'Use this tracefs directory instead of finding it' -r -F
complete -c funcslower -s a -d 'All info (same as -HPt)'
complete -c funcslower -s C -d 'Measure on-CPU time only (time asleep is not counted)'
complete -c funcslower -s H -d 'Print column headers'
complete -c funcslower -s P -d 'Show process names and pids'
complete -c funcslower -s t -d 'Show timestamps'
complete -c funcslower -l json -d 'Print JSON Lines (one object per line, each with a "type")'
complete -c funcslower -l debug -d 'Print on stderr every tracefs read and write made, with its time, and each phase\'s time'
complete -c funcslower -s h -l help -d 'Print help'
